"""NFKC + casefold, the form in which the keyword filter matches text: for one text, or faster for a batch.

`normalise_many(texts) == [normalise(t) for t in texts]`, always. Why a batch version: CPython's NFKC is fast when
a text is already in NFKC (a quick check), but slow (about 8 MB/s) when it is not, which is the common case for
Chinese and Japanese web text (full-width punctuation such as "，" and "：" is not NFKC). Those texts are
normalised in one vectorised call to Arrow's `utf8_normalize` (utf8proc), about 5x faster.

Exactness: utf8proc may follow a newer Unicode version than this Python's `unicodedata`. Normalisation is stable
across versions for characters assigned in both, so the two can only differ on text holding a character this
Python does not know (category Cn), e.g. one added in a later Unicode version (checked over every code point in
tests/test_matcher.py). Texts with such a character, or that Arrow cannot take (lone surrogates), are normalised
by Python.
"""

from __future__ import annotations

import functools
import sys
import unicodedata

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc


def normalise(text: str) -> str:
    """NFKC then casefold: the form in which keywords are matched and lengths are counted."""
    return unicodedata.normalize("NFKC", text).casefold()


def normalise_many(texts: list[str]) -> list[str]:
    """[normalise(t) for t in texts], with the texts that are not yet NFKC normalised by Arrow in one call."""
    is_nfkc = unicodedata.is_normalized
    out = list(texts)
    todo = [i for i, t in enumerate(texts) if not is_nfkc("NFKC", t)]
    for i, nfkc in zip(todo, _nfkc_many([texts[i] for i in todo])):
        out[i] = nfkc
    return [t.casefold() for t in out]


def _nfkc_many(texts: list[str]) -> list[str]:
    if len(texts) < 2:  # nothing to batch
        return [unicodedata.normalize("NFKC", t) for t in texts]
    try:
        batch = pa.array(texts, pa.large_string())
    except (pa.ArrowException, UnicodeEncodeError):  # lone surrogates: Python handles them
        return [unicodedata.normalize("NFKC", t) for t in texts]
    unknown = pc.match_substring_regex(batch, _unassigned_class()).to_pylist()
    return [unicodedata.normalize("NFKC", t) if other_version else nfkc
            for t, nfkc, other_version in zip(texts, pc.utf8_normalize(batch, "NFKC").to_pylist(), unknown)]


@functools.cache
def _unassigned_class() -> str:
    """An RE2 character class of the code points this Python's unicodedata does not assign (category Cn), built
    once per process (~0.2 s)."""
    codes = range(sys.maxunicode + 1)
    unassigned = np.fromiter((c == "Cn" for c in map(unicodedata.category, map(chr, codes))), bool, len(codes))
    unassigned[0xD800:0xE000] = False  # surrogates (Cs) cannot occur in Arrow strings
    edges = np.flatnonzero(np.diff(np.concatenate(([False], unassigned, [False])).astype(np.int8)))
    starts, ends = edges[0::2], edges[1::2] - 1  # runs of unassigned code points, inclusive
    return "[" + "".join(f"\\x{{{a:x}}}-\\x{{{b:x}}}" for a, b in zip(starts, ends)) + "]"
