"""Keyword scores of a whole batch of normalised texts from one automaton pass over their Arrow buffer.

`KeywordMatcher.score_many` (data_collection/filtering/matcher.py) scores a text at a time: a Python call, an encode and an
automaton call per text. For a batch already in Arrow (the filter's parquet batches) that Arrow normalised
(data_collection/filtering/normalise.py: `arrow_normalise`), this module runs the automaton once over the batch's UTF-8
data and does the rest in numpy, with the same rules as `KeywordMatcher.counts_normalised`:

- an occurrence counts only inside one text (the texts lie back to back in the buffer);
- space-delimited languages: neither the character before it nor the one after it (inside its text) is
  alphanumeric (`str.isalnum`, looked up per code point);
- per text and keyword, the non-overlapping occurrences found left to right among those that pass; texts with
  overlapping occurrences of one keyword (rare: "aa" in "aaa") are counted by that greedy rule in Python.
"""

from __future__ import annotations

import functools

import numpy as np
import pyarrow as pa


def buffer_scores(automaton, keyword_chars: np.ndarray, word_bounded: bool,
                  texts: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """(MKC, matched characters) per text of an Arrow string array of normalised texts (no nulls); the matched
    characters are sum over keywords of count x length, DENS's numerator."""
    offsets, data = offsets_and_data(texts)
    return match_scores(buffer_matches(automaton, data), offsets, data, keyword_chars, word_bounded)


def buffer_matches(automaton, data: memoryview) -> np.ndarray:
    """Every occurrence (overlapping) of every pattern in `data`: an int64 array of rows (pattern, start, end)."""
    found = automaton.find_matches_as_indexes(data, overlapping=True)
    return np.array(found, dtype=np.int64).reshape(-1, 3)


def match_scores(matches: np.ndarray, offsets: np.ndarray, data: memoryview, keyword_chars: np.ndarray,
                 word_bounded: bool) -> tuple[np.ndarray, np.ndarray]:
    """(MKC, matched characters) per text from the keyword occurrences `matches` (`buffer_matches`) in the texts
    that lie back to back in `data`, at `offsets`."""
    n_texts = len(offsets) - 1
    mkc, matched = np.zeros(n_texts, np.int64), np.zeros(n_texts, np.int64)
    if not len(matches):
        return mkc, matched
    kw, start, end = matches.T
    doc = np.searchsorted(offsets, start, side="right") - 1
    ok = end <= offsets[doc + 1]  # not across two texts
    if word_bounded:
        buf = np.frombuffer(data, dtype=np.uint8)
        ok &= _alnum_free(buf, start, offsets[doc], before=True)
        ok &= _alnum_free(buf, end, offsets[doc + 1], before=False)
    kw, start, end, doc = kw[ok], start[ok], end[ok], doc[ok]
    order = np.lexsort((start, kw, doc))
    kw, start, end, doc = kw[order], start[order], end[order], doc[order]
    first = np.ones(len(kw), dtype=bool)  # first occurrence of its (text, keyword) group
    first[1:] = (doc[1:] != doc[:-1]) | (kw[1:] != kw[:-1])
    group = np.cumsum(first) - 1
    counts = np.bincount(group)
    overlapping = np.zeros(len(kw), dtype=bool)
    overlapping[1:] = ~first[1:] & (start[1:] < end[:-1])
    for g in np.unique(group[overlapping]):  # the greedy left-to-right count
        at = np.flatnonzero(group == g)
        n, free = 0, -1
        for s, e in zip(start[at].tolist(), end[at].tolist()):
            if s >= free:
                n, free = n + 1, e
        counts[g] = n
    group_doc, group_kw = doc[first], kw[first]
    mkc += np.bincount(group_doc, minlength=n_texts)
    matched += np.bincount(group_doc, weights=counts * keyword_chars[group_kw], minlength=n_texts).astype(np.int64)
    return mkc, matched


def offsets_and_data(texts: pa.Array) -> tuple[np.ndarray, memoryview]:
    """Text boundaries (from 0) and the UTF-8 bytes of a string or large_string array."""
    if isinstance(texts, pa.ChunkedArray):
        texts = texts.combine_chunks()
    width = np.int64 if pa.types.is_large_string(texts.type) else np.int32
    _, offsets_buf, data_buf = texts.buffers()
    offsets = np.frombuffer(offsets_buf, dtype=width)[texts.offset:texts.offset + len(texts) + 1].astype(np.int64)
    if data_buf is None:  # all texts empty
        return offsets - offsets[0], memoryview(b"")
    data = memoryview(data_buf).cast("B")[offsets[0]:offsets[-1]]
    return offsets - offsets[0], data


@functools.cache
def isalnum_table() -> np.ndarray:
    """str.isalnum of every code point (about 0.1 s, once per process)."""
    import sys

    return np.frombuffer(bytes(map(str.isalnum, map(chr, range(sys.maxunicode + 1)))), dtype=bool)


def _alnum_free(buf: np.ndarray, at: np.ndarray, limit: np.ndarray, before: bool) -> np.ndarray:
    """bool per position: no alphanumeric character just before byte `at` (before=True; none when at == limit,
    the text's start) or at byte `at` (before=False; none when at == limit, the text's end)."""
    free = at == limit
    todo = np.flatnonzero(~free)
    if before:
        lead = at[todo] - 1
        for _ in range(3):  # back over continuation bytes to the character's lead byte
            lead -= (buf[lead] & 0xC0) == 0x80
    else:
        lead = at[todo]
    free[todo] = ~isalnum_table()[_code_points(buf, lead)]
    return free


def _code_points(buf: np.ndarray, lead: np.ndarray) -> np.ndarray:
    """The code point of the UTF-8 character whose lead byte is at each position (valid UTF-8)."""
    last = len(buf) - 1
    b0 = buf[lead].astype(np.int64)
    b1, b2, b3 = (buf[np.minimum(lead + k, last)].astype(np.int64) & 0x3F for k in (1, 2, 3))
    return np.where(b0 < 0x80, b0,
                    np.where(b0 < 0xE0, (b0 & 0x1F) << 6 | b1,
                             np.where(b0 < 0xF0, (b0 & 0x0F) << 12 | b1 << 6 | b2,
                                      (b0 & 0x07) << 18 | b1 << 12 | b2 << 6 | b3)))
