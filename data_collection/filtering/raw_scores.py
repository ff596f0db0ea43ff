"""zh/ja keyword scores straight from the raw text, for the texts whose scores normalising cannot change.

The definition (data_collection/filtering/matcher.py) matches keywords in normalise(T) = NFKC(T).casefold() and divides by
its length. Normalising a whole Chinese or Japanese web text costs more than matching it: nearly every such text
holds full-width punctuation ("，", "："), so it is never already in NFKC. But for zh/ja (no word-boundary rule) the
scores depend on the normalised text only through

- the keyword characters: every occurrence of a keyword lies inside a maximal run of characters that occur in some
  keyword (the alphabet A), and each keyword's non-overlapping count is the sum of its counts in those runs;
- the length.

Let every character c of T start a normalisation segment (`CodePoints.starts`; unassigned code points count as
starters: this Python's NFKC and casefold leave them alone and nothing composes with them). Then normalise(T) is
f(c1) f(c2) ... with f(c) = NFKC(c).casefold() (data_collection/filtering/normalise.py, `arrow_normalise`), and
len(normalise(T)) = len(T) + sum over c of (len(f(c)) - 1). Call c a variant of x when f(c) = x: "D", "Ｄ" and
"ｄ" are variants of "d", U+F900 of "豈". Register as automaton patterns, for each keyword, every spelling made
of chosen variants of its characters (all of them, up to a budget: ASCII first, then full-width forms, then the
rest). If every character c of T is either a chosen variant of a character of A, or has f(c) free of A, then the
occurrences of a keyword's spellings in T are exactly the keyword's occurrences in normalise(T), at the same
character positions; so are its non-overlapping counts.

So one automaton pass over a batch's raw Arrow buffer finds the keyword spellings and the characters that need
care (a few thousand, per keyword alphabet): those that change the length ("…" -> "...": counted per text), and
those that break the condition above (combining marks, half-width kana sound marks, a variant left out of the
budget, "ß" when "ss" is in A, code points beyond plane 3). Texts without the second kind are scored from that
pass; the others are left to the matcher's normalising path. tests/test_raw_scores.py compares with
`KeywordMatcher.score` on every code point and on random texts.
"""

from __future__ import annotations

import functools
import itertools
import math
import unicodedata
from dataclasses import dataclass

import ahocorasick_rs
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from data_collection.filtering.buffer_counts import buffer_matches, match_scores, offsets_and_data
from data_collection.filtering.normalise import CHECKED_PLANES, CodePoints, code_points

# lead bytes of code points beyond plane 3 (U+40000 and up), which the table does not cover
_BEYOND_LEAD_BYTES = (0xF1, 0xF2, 0xF3, 0xF4)
MAX_SPELLINGS = 4096  # keyword spellings registered per list; a variant that would pass it needs care instead


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
        unassigned = np.fromiter((unicodedata.category(c) == "Cn" for c in table.chars), dtype=bool,
                                 count=CHECKED_PLANES)
        unassigned[0xD800:0xE000] = False
        starts = table.starts | unassigned
        alphabet = {c for k in keywords for c in k}
        chosen = _chosen_variants(keywords, _variants(table, starts, alphabet))
        # care: not a starter; f(c) longer or shorter than c (the length changes) or, when it holds a character
        # of A, not exactly one chosen variant
        n = CHECKED_PLANES
        deltas = np.fromiter(map(len, table.folded), dtype=np.int64, count=n) - 1
        breaks = ~starts
        for i in np.flatnonzero(starts).tolist():
            f = table.folded[i]
            if (f in alphabet and table.chars[i] not in chosen[f]) or (len(f) != 1 and not alphabet.isdisjoint(f)):
                breaks[i] = True
        care = breaks | (deltas != 0)
        care[0xD800:0xE000] = False  # never in Arrow text
        cared = np.flatnonzero(care)
        spellings = [(i, "".join(s)) for i, k in enumerate(keywords) for s in itertools.product(*(chosen[x] for x in k))]
        self.n_spellings = len(spellings)
        self.keyword_of = np.array([i for i, _ in spellings], dtype=np.int64)
        # per pattern after the spellings: the characters that need care, then the lead bytes beyond plane 3
        self.breaks = np.concatenate([breaks[cared], np.ones(len(_BEYOND_LEAD_BYTES), bool)])
        self.deltas = np.concatenate([deltas[cared], np.zeros(len(_BEYOND_LEAD_BYTES), np.int64)])
        patterns = ([s.encode("utf-8") for _, s in spellings] + [chr(c).encode("utf-8") for c in cared.tolist()]
                    + [bytes([b]) for b in _BEYOND_LEAD_BYTES])
        self.automaton = ahocorasick_rs.BytesAhoCorasick(patterns, implementation=ahocorasick_rs.Implementation.DFA)

    def score_column(self, column: pa.Array, keyword_chars: np.ndarray) -> RawScores:
        """Scores of the rows of `column` (a string array) that this can score; the others (nulls among them)
        need the normalising path. `keyword_chars`: the length of each keyword."""
        if isinstance(column, pa.ChunkedArray):
            column = column.combine_chunks()
        offsets, data = offsets_and_data(column)
        matches = buffer_matches(self.automaton, data)
        n_rows = len(column)
        is_spelling = matches[:, 0] < self.n_spellings
        care, found = matches[~is_spelling], matches[is_spelling]
        doc = np.searchsorted(offsets, care[:, 1], side="right") - 1
        pattern = care[:, 0] - self.n_spellings
        broken = np.zeros(n_rows, dtype=bool)
        broken[doc[self.breaks[pattern]]] = True
        n_chars = _numpy(pc.utf8_length(column).fill_null(0)).astype(np.int64)
        n_chars += np.bincount(doc, weights=self.deltas[pattern], minlength=n_rows).astype(np.int64)
        scored = _numpy(column.is_valid()) & ~broken
        found[:, 0] = self.keyword_of[found[:, 0]]
        if not scored.all():  # the occurrences in the scored rows only
            found = found[scored[np.searchsorted(offsets, found[:, 1], side="right") - 1]]
        mkc, matched = match_scores(found, offsets, data, keyword_chars, word_bounded=False)
        rows = np.flatnonzero(scored)
        return RawScores(rows, mkc[rows], matched[rows], n_chars[rows])


def _variants(table: CodePoints, starts: np.ndarray, alphabet: set[str]) -> dict[str, list[str]]:
    """x -> the starters c with f(c) = x, for each x of the alphabet."""
    variants: dict[str, list[str]] = {x: [] for x in alphabet}
    for i in np.flatnonzero(starts).tolist():
        f = table.folded[i]
        if f in variants:
            variants[f].append(table.chars[i])
    return variants


def _variant_rank(c: str) -> int:
    """Which variants are registered first: ASCII, then the full-width forms, then the rest."""
    return 0 if c.isascii() else 1 if 0xFF00 <= ord(c) <= 0xFFEF else 2


def _chosen_variants(keywords: list[str], variants: dict[str, list[str]]) -> dict[str, list[str]]:
    """x -> the variants of x that keyword spellings use: each rank in turn, per character, as long as all
    spellings together stay within MAX_SPELLINGS."""
    chosen = {x: [c for c in vs if c == x] for x, vs in variants.items()}

    def n_spellings() -> int:
        return sum(math.prod(len(chosen[x]) for x in k) for k in keywords)

    for rank in (0, 1, 2):
        for x in sorted(variants):
            more = [c for c in variants[x] if c != x and _variant_rank(c) == rank]
            if more:
                chosen[x] += more
                if n_spellings() > MAX_SPELLINGS:
                    del chosen[x][-len(more):]
    return chosen


@functools.lru_cache(maxsize=16)
def raw_scorer(keywords: tuple[str, ...]) -> RawScorer:
    """The scorer of a keyword list, once per process (about half a second, the first one with the code point
    table)."""
    return RawScorer(list(keywords))


def _numpy(array: pa.Array) -> np.ndarray:
    return np.asarray(array.to_numpy(zero_copy_only=False))
