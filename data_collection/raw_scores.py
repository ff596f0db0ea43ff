"""zh/ja keyword scores straight from the raw text, for the texts whose scores normalising cannot change.

The definition (data_collection/matcher.py) matches keywords in normalise(T) = NFKC(T).casefold() and divides by
its length. Normalising a whole Chinese or Japanese web text costs more than matching it: nearly every such text
holds full-width punctuation ("，", "："), so it is never already in NFKC. But for zh/ja (no word-boundary rule) the
scores depend on the normalised text only through

- the keyword characters: every occurrence of a keyword lies inside a maximal run of characters that occur in some
  keyword (the alphabet A), and each keyword's non-overlapping count is the sum of its counts in those runs;
- the length.

Let every character c of T start a normalisation segment (`CodePoints.starts`): then normalise(T) is f(c1) f(c2) ...
with f(c) = NFKC(c).casefold() (data_collection/normalise.py, `arrow_normalise`). Write T' for T itself (tier "raw")
or for Arrow's lower case of T (tier "lowered", one code point g(c) per character). When, for every character c,
either T' has f(c) there, or neither T''s character nor any character of f(c) is in A, the runs of A-characters of
T' and of normalise(T) are the same strings in the same order, so every keyword count of T' equals its count in
normalise(T); and len(normalise(T)) = len(T) + sum over c of (len(f(c)) - 1). "，" (f = ",") and "…" (f = "...")
qualify for zh/ja lists; a character of a keyword written differently (full-width or upper-case Latin letters of
"dna", a compatibility ideograph) qualifies only in the lowered tier or not at all.

So one automaton pass over a batch's raw Arrow buffer finds both the keywords and the characters that need care
(a few thousand, per keyword alphabet): the ones that change the length ("…": counted per text), the ones the raw
text does not match as its normalised form would, and, with Arrow's lower case, the ones that even the lowered
text does not. Texts with none of the second kind are scored from that pass; those whose such characters all
lower correctly are lowered and matched again; every other text (combining marks, half-width kana sound marks,
code points beyond plane 3, ...) is left to the matcher's normalising path. Unassigned code points need no care:
this Python's NFKC and casefold leave them as they are, and nothing composes with them.
tests/test_raw_scores.py compares with `KeywordMatcher.score` on every code point and on random texts.
"""

from __future__ import annotations

import functools
import unicodedata
from dataclasses import dataclass

import ahocorasick_rs
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from data_collection.buffer_counts import buffer_matches, buffer_scores, match_scores, offsets_and_data
from data_collection.normalise import CHECKED_PLANES, code_points

# lead bytes of code points beyond plane 3 (U+40000 and up), which the table does not cover
_BEYOND_LEAD_BYTES = (0xF1, 0xF2, 0xF3, 0xF4)


@dataclass(frozen=True)
class RawScores:
    """Scores of some rows of a batch: MKC, matched keyword characters (DENS's numerator), normalised length."""

    rows: np.ndarray
    mkc: np.ndarray
    matched: np.ndarray
    n_chars: np.ndarray


class RawScorer:
    """Scores zh/ja texts of one keyword list from their raw Arrow text, where that is exact (module doc)."""

    def __init__(self, keywords: list[str]):
        table = code_points()
        alphabet = {ord(c) for k in keywords for c in k}
        in_alphabet = np.zeros(CHECKED_PLANES, dtype=bool)
        in_alphabet[[c for c in alphabet if c < CHECKED_PLANES]] = True
        n = CHECKED_PLANES
        same = np.fromiter((f == c for c, f in zip(table.chars, table.folded)), dtype=bool, count=n)
        changed = np.flatnonzero(~same)
        f_touches = in_alphabet.copy()  # f(c) holds a character of the alphabet (only where f(c) != c)
        f_touches[changed] = [any(ord(d) in alphabet for d in table.folded[i]) for i in changed.tolist()]
        lower_is_f = np.fromiter((g == f for g, f in zip(table.lower, table.folded)), dtype=bool, count=n)
        lower_touches = np.fromiter((len(g) != 1 or ord(g) in alphabet for g in table.lower), dtype=bool, count=n)
        # a segment starter by this Python's tables: `starts`, and the unassigned code points (NFKC and casefold
        # leave them alone and nothing composes with them)
        unassigned = np.fromiter((unicodedata.category(c) == "Cn" for c in table.chars), dtype=bool, count=n)
        unassigned[0xD800:0xE000] = False
        starts = table.starts | unassigned
        raw_ok = starts & (same | (~in_alphabet & ~f_touches))
        lowered_ok = starts & (lower_is_f | (~lower_touches & ~f_touches))
        deltas = np.fromiter(map(len, table.folded), dtype=np.int64, count=n) - 1
        self.lowering_helps = bool((lowered_ok & ~raw_ok).any())
        care = ~raw_ok | (deltas != 0) | (~lowered_ok if self.lowering_helps else False)
        care[0xD800:0xE000] = False  # never in Arrow text
        cared = np.flatnonzero(care)
        self.n_keywords = len(keywords)
        # per pattern after the keywords: the characters that need care, then the lead bytes beyond plane 3
        self.raw_ok = np.concatenate([raw_ok[cared], np.zeros(len(_BEYOND_LEAD_BYTES), bool)])
        self.lowered_ok = np.concatenate([lowered_ok[cared], np.zeros(len(_BEYOND_LEAD_BYTES), bool)])
        self.deltas = np.concatenate([deltas[cared], np.zeros(len(_BEYOND_LEAD_BYTES), np.int64)])
        patterns = [k.encode("utf-8") for k in keywords] + [chr(c).encode("utf-8") for c in cared.tolist()]
        self.automaton = ahocorasick_rs.BytesAhoCorasick(
            patterns + [bytes([b]) for b in _BEYOND_LEAD_BYTES], implementation=ahocorasick_rs.Implementation.DFA)

    def score_column(self, column: pa.Array, keyword_automaton, keyword_chars: np.ndarray) -> list[RawScores]:
        """Scores of the rows of `column` (a string array) that this can score, in at most two pieces (raw,
        lowered); the rows in neither (nulls among them) need the normalising path. `keyword_automaton` finds
        the keywords alone (pattern i = keyword i), for the lowered texts."""
        if isinstance(column, pa.ChunkedArray):
            column = column.combine_chunks()
        offsets, data = offsets_and_data(column)
        matches = buffer_matches(self.automaton, data)
        n_rows = len(column)
        is_keyword = matches[:, 0] < self.n_keywords
        care, keyword_matches = matches[~is_keyword], matches[is_keyword]
        doc = np.searchsorted(offsets, care[:, 1], side="right") - 1
        pattern = care[:, 0] - self.n_keywords
        not_raw, not_lowered = np.zeros(n_rows, dtype=bool), np.zeros(n_rows, dtype=bool)
        not_raw[doc[~self.raw_ok[pattern]]] = True
        not_lowered[doc[~self.lowered_ok[pattern]]] = True
        n_chars = _numpy(pc.utf8_length(column).fill_null(0)).astype(np.int64)
        n_chars += np.bincount(doc, weights=self.deltas[pattern], minlength=n_rows).astype(np.int64)
        valid = _numpy(column.is_valid())
        raw = valid & ~not_raw
        pieces = []
        if raw.any():
            if not raw.all():  # the keyword occurrences of the raw rows only
                keyword_doc = np.searchsorted(offsets, keyword_matches[:, 1], side="right") - 1
                keyword_matches = keyword_matches[raw[keyword_doc]]
            mkc, matched = match_scores(keyword_matches, offsets, data, keyword_chars, word_bounded=False)
            rows = np.flatnonzero(raw)
            pieces.append(RawScores(rows, mkc[rows], matched[rows], n_chars[rows]))
        lowered = np.flatnonzero(valid & not_raw & ~not_lowered) if self.lowering_helps else []
        if len(lowered):
            texts = pc.utf8_lower(column.take(pa.array(lowered, pa.int64())))
            mkc, matched = buffer_scores(keyword_automaton, keyword_chars, False, texts)
            pieces.append(RawScores(lowered, mkc, matched, n_chars[lowered]))
        return pieces


@functools.lru_cache(maxsize=16)
def raw_scorer(keywords: tuple[str, ...]) -> RawScorer:
    """The scorer of a keyword list, once per process (about half a second, the first one with the code point
    table)."""
    return RawScorer(list(keywords))


def _numpy(array: pa.Array) -> np.ndarray:
    return np.asarray(array.to_numpy(zero_copy_only=False))
