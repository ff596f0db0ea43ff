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

So per batch, RE2 character classes (built per keyword alphabet from the code point table) sort the rows: rows
with no character outside the plain class are scored on their raw bytes (one automaton pass over the Arrow
buffer, data_collection/buffer_counts.py) with their Arrow character count; rows with characters that change the
length are counted per length change; rows that qualify only after lower case are lowered first; every other row
(combining marks, half-width kana sound marks, unassigned code points, ...) is left to the matcher's normalising
path. tests/test_raw_scores.py compares with `KeywordMatcher.score` on every code point and on random texts.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from data_collection.normalise import CHECKED_PLANES, char_class, code_points


@dataclass(frozen=True)
class RawPiece:
    """Rows of a batch, the texts to run the automaton over (raw or lowered), and their normalised lengths."""

    rows: np.ndarray
    texts: pa.Array
    n_chars: np.ndarray


class RawClasses:
    """The character classes of one keyword alphabet (the characters of the normalised keywords)."""

    def __init__(self, keywords: list[str]):
        table = code_points()
        alphabet = {ord(c) for k in keywords for c in k}
        in_alphabet = np.zeros(CHECKED_PLANES, dtype=bool)
        in_alphabet[[c for c in alphabet if c < CHECKED_PLANES]] = True
        # code points whose f(c) differs from c: only there can f(c) bring in a character of the alphabet
        same = np.fromiter((f == c for c, f in zip(table.chars, table.folded)), dtype=bool, count=CHECKED_PLANES)
        changed = np.flatnonzero(~same)
        f_touches = in_alphabet.copy()  # f(c) holds a character of the alphabet
        f_touches[changed] = [any(ord(d) in alphabet for d in table.folded[i]) for i in changed.tolist()]
        f_length = np.fromiter(map(len, table.folded), dtype=np.int64, count=CHECKED_PLANES)
        lower_is_f = np.fromiter((g == f for g, f in zip(table.lower, table.folded)), dtype=bool,
                                 count=CHECKED_PLANES)
        lower_touches = np.fromiter((len(g) != 1 or ord(g) in alphabet for g in table.lower), dtype=bool,
                                    count=CHECKED_PLANES)
        raw_ok = table.starts & (same | (~in_alphabet & ~f_touches))
        lowered_ok = table.starts & (lower_is_f | (~lower_touches & ~f_touches))
        stretch = f_length != 1
        # beyond planes 0-3 (unassigned, private use, tags, rare ideographs): always the normalising path
        self.not_plain = char_class(~raw_ok | stretch, beyond=True)
        self.not_raw = char_class(~raw_ok, beyond=True)
        self.not_lowered = char_class(~lowered_ok, beyond=True)
        self.lowering_helps = bool((lowered_ok & ~raw_ok).any())
        # the characters that change the length, by how much (a few classes)
        deltas = f_length - 1
        self.length_changes = [(int(d), char_class(stretch & (deltas == d), beyond=False))
                               for d in np.unique(deltas[stretch]).tolist()]
        self.any_length_change = char_class(stretch, beyond=False)

    def pieces(self, column: pa.Array) -> Iterator[RawPiece]:
        """The rows of `column` (a string array) that qualify, in at most two pieces (raw, lowered); the rows in
        neither need the normalising path (nulls among them)."""
        plain = ~_matches(column, self.not_plain)  # the common case: scores of the raw text, its length as is
        rest = np.flatnonzero(~plain)
        stretched, lowered_rows = np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        if len(rest):
            qualifies = ~_matches(_take(column, rest), self.not_raw)
            stretched, rest = rest[qualifies], rest[~qualifies]
            plain[stretched] = True
        if len(rest) and self.lowering_helps:
            lowered_rows = rest[~_matches(_take(column, rest), self.not_lowered)]
        raw_rows = np.flatnonzero(plain)
        if len(raw_rows):
            texts = column if len(raw_rows) == len(column) else _take(column, raw_rows)
            n_chars = _numpy(pc.utf8_length(texts)).astype(np.int64)
            if len(stretched):
                at = np.searchsorted(raw_rows, stretched)
                n_chars[at] += self._length_changes(_take(column, stretched))
            yield RawPiece(raw_rows, texts, n_chars)
        if len(lowered_rows):
            texts = _take(column, lowered_rows)
            n_chars = _numpy(pc.utf8_length(texts)).astype(np.int64) + self._length_changes(texts)
            yield RawPiece(lowered_rows, pc.utf8_lower(texts), n_chars)

    def _length_changes(self, texts: pa.Array) -> np.ndarray:
        """len(normalise(t)) - len(t) per text that qualifies: the sum of len(f(c)) - 1 over its characters."""
        out = np.zeros(len(texts), dtype=np.int64)
        changed = np.flatnonzero(_matches(texts, self.any_length_change))
        if len(changed):
            sub = _take(texts, changed)
            for delta, chars in self.length_changes:
                out[changed] += delta * _numpy(pc.count_substring_regex(sub, chars)).astype(np.int64)
        return out


@functools.lru_cache(maxsize=16)
def raw_classes(keywords: tuple[str, ...]) -> RawClasses:
    """The classes of a keyword list, once per process (about half a second, the first one with the code point
    table)."""
    return RawClasses(list(keywords))


def _matches(column: pa.Array, char_class: str) -> np.ndarray:
    """bool per row: it holds a character of the class (nulls: True)."""
    return _numpy(pc.match_substring_regex(column, char_class).fill_null(True))


def _numpy(array: pa.Array) -> np.ndarray:
    return np.asarray(array.to_numpy(zero_copy_only=False))


def _take(column: pa.Array, rows: np.ndarray) -> pa.Array:
    return column.take(pa.array(rows, pa.int64()))
