"""Medical keyword scoring (MKC / DENS) in one pass over the text.

The definition (PAPER.md; this module implements exactly this, and tests compare it with a naive version):

- Text and keywords are NFKC-normalised, then casefolded (`normalise`). Lengths are characters of the normalised
  strings. Keywords that normalise to the same string count once; empty keywords are ignored.
- Space-delimited languages (en fr es ru de ar): an occurrence of keyword k at [i, i+len(k)) counts only when the
  character before it (if any) and the character after it (if any) are not alphanumeric (`str.isalnum`): `ear`
  does not occur in `heart`. Multi-word keywords are fine. zh / ja: every substring occurrence counts.
- count(k, T): the number of non-overlapping occurrences found scanning left to right, i.e. what
  `re.finditer(r"(?<![^\\W_])" + re.escape(k) + r"(?![^\\W_])", T)` finds (without the lookarounds for zh/ja).
  An occurrence that fails the boundary rule does not block a later, overlapping valid one. Each keyword is
  counted on its own, so `blood` and `blood pressure` both count in "blood pressure".
- MKC = number of keywords with count > 0; DENS = sum_k count(k, T) * len(k) / len(T); empty text: 0 and 0.

How it is fast: one Aho-Corasick automaton (pyahocorasick) over all keywords reports every occurrence of every
keyword in a single pass; occurrences of one keyword arrive in increasing position, so the non-overlapping
left-to-right count is a greedy test against the end of that keyword's last counted occurrence. Text without any
keyword costs only the normalisation and the automaton pass. For zh/ja the automaton runs over the UTF-8 bytes
(carried in a latin-1 str): the trie then branches over a few lead bytes instead of thousands of characters,
which is much faster, and is exact because UTF-8 is self-synchronising (a keyword's bytes can only match at
character boundaries, so byte matches and character matches are the same occurrences in the same order).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import ahocorasick

from common.languages import by_code

KEYWORDS_DIR = Path(__file__).resolve().parent / "keywords"


def normalise(text: str) -> str:
    """NFKC then casefold: the form in which keywords are matched and lengths are counted."""
    return unicodedata.normalize("NFKC", text).casefold()


def load_keywords(path: str | Path) -> list[str]:
    """One keyword per line; blank lines and lines starting with `#` are skipped. Raw (not normalised)."""
    p = Path(path)
    if not p.exists():
        raise FileNotFoundError(f"keyword list not found: {p}")
    out = []
    for line in p.read_text(encoding="utf-8").splitlines():
        word = line.strip()
        if word and not word.startswith("#"):
            out.append(word)
    return out


def keywords_path(lang: str, keywords_dir: str | Path | None = None) -> Path:
    return Path(keywords_dir or KEYWORDS_DIR) / f"{lang}.txt"


@dataclass(frozen=True)
class Score:
    mkc: int  # distinct keywords found
    dens: float  # keyword characters / text characters (normalised)
    n_chars: int  # len of the normalised text


class KeywordMatcher:
    """Scores texts against one language's keywords. Build once, call `score(text)` many times."""

    def __init__(self, keywords: Iterable[str], space_delimited: bool):
        normed = [normalise(k) for k in keywords]
        self.keywords: list[str] = list(dict.fromkeys(k for k in normed if k))
        if not self.keywords:
            raise ValueError("no keywords given")
        self.space_delimited = space_delimited
        self._automaton = ahocorasick.Automaton()
        for idx, kw in enumerate(self.keywords):
            # value: (index, length in the automaton's units: chars, or UTF-8 bytes for zh/ja)
            key = kw if space_delimited else _as_bytes_str(kw)
            self._automaton.add_word(key, (idx, len(key)))
        self._automaton.make_automaton()

    @classmethod
    def for_language(cls, lang: str, keywords_dir: str | Path | None = None) -> KeywordMatcher:
        language = by_code(lang)
        return cls(load_keywords(keywords_path(language.code, keywords_dir)), language.space_delimited)

    def counts_normalised(self, text: str) -> dict[int, int]:
        """keyword index -> count, for text that is already `normalise`d."""
        if not self.space_delimited:
            text = _as_bytes_str(text)
        counts: dict[int, int] = {}
        next_free: dict[int, int] = {}  # keyword index -> first position a new occurrence may start at
        n = len(text)
        check = self.space_delimited
        for end, (idx, length) in self._automaton.iter(text):
            start = end - length + 1
            if start < next_free.get(idx, 0):
                continue
            if check and ((start > 0 and text[start - 1].isalnum()) or (end + 1 < n and text[end + 1].isalnum())):
                continue
            counts[idx] = counts.get(idx, 0) + 1
            next_free[idx] = end + 1
        return counts

    def counts(self, text: str) -> dict[str, int]:
        """keyword (normalised) -> count > 0, for raw text."""
        return {self.keywords[i]: c for i, c in self.counts_normalised(normalise(text)).items()}

    def score(self, text: str) -> Score:
        norm = normalise(text)
        n = len(norm)
        if n == 0:
            return Score(0, 0.0, 0)
        counts = self.counts_normalised(norm)
        if not counts:
            return Score(0, 0.0, n)
        kw = self.keywords
        matched = sum(c * len(kw[i]) for i, c in counts.items())
        return Score(len(counts), matched / n, n)


def _as_bytes_str(text: str) -> str:
    """The UTF-8 bytes of `text` as a str of code points 0-255 (pyahocorasick is built for str keys)."""
    return text.encode("utf-8", "surrogatepass").decode("latin-1")


def keep(score: Score, t_mkc: int, t_dens: float) -> bool:
    """The paper's rule: keep when MKC >= t_mkc and DENS >= t_dens."""
    return score.mkc >= t_mkc and score.dens >= t_dens
