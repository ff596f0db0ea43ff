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
from dataclasses import dataclass

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
    unknown = pc.match_substring_regex(batch, unassigned_class()).to_pylist()
    return [unicodedata.normalize("NFKC", t) if other_version else nfkc
            for t, nfkc, other_version in zip(texts, pc.utf8_normalize(batch, "NFKC").to_pylist(), unknown)]


@functools.cache
def unassigned_class() -> str:
    """An RE2 character class of the code points this Python's unicodedata does not assign (category Cn), built
    once per process (~0.2 s)."""
    codes = range(sys.maxunicode + 1)
    unassigned = np.fromiter((c == "Cn" for c in map(unicodedata.category, map(chr, codes))), bool, len(codes))
    unassigned[0xD800:0xE000] = False  # surrogates (Cs) cannot occur in Arrow strings
    return char_class(unassigned, beyond=False)


def arrow_normalise(column: pa.Array) -> list[tuple[np.ndarray, pa.Array]]:
    """`normalise` of the texts of an Arrow string column that Arrow computes exactly, in vectorised calls:
    pieces (rows, their normalised texts as an Arrow array); the rows in no piece (nulls, and texts with a
    character this cannot map) need `normalise_many`.

    Why it is exact: a text qualifies when every character c can start a normalisation segment (canonical
    combining class 0; the first character of its NFKD is a starter that is not the second of a canonical pair;
    assigned in this Python's Unicode version). NFKC never composes across such a boundary, so NFKC of the text
    is the NFKC of each character in turn, and casefold maps character by character: normalise(text) is
    f(c1) f(c2) ..., f(c) = NFKC(c).casefold(). For most characters f(c) is Arrow's lower case of c ("safe":
    one `utf8_lower`); the others ("mappable": NBSP, "№", "²", "…", full-width forms, "ß") are first replaced
    by f(c), whose lower case is itself. Both classes are computed per code point from this Python's
    unicodedata and this Arrow's lower case (`char_classes`); tests compare with `normalise` on every code
    point and on random texts."""
    pieces = []
    valid = np.asarray(column.is_valid().to_numpy(zero_copy_only=False), dtype=bool)
    safe = pc.string_is_ascii(column).fill_null(False).to_numpy(zero_copy_only=False)  # ASCII: all safe
    mappable = np.zeros(len(column), dtype=bool)
    rest = np.flatnonzero(~safe & valid)
    if len(rest):
        unsafe_class, hard_class, _, _ = char_classes()
        scan = column if 2 * len(rest) > len(column) else column.take(pa.array(rest))
        unsafe = _matches(scan, unsafe_class)
        unsafe = unsafe if scan is not column else unsafe[rest]
        safe[rest[~unsafe]] = True
        candidates = rest[unsafe]
        if len(candidates):
            mappable[candidates[~_matches(column.take(pa.array(candidates)), hard_class)]] = True
    if safe.any():
        rows = np.flatnonzero(safe)
        pieces.append((rows, pc.utf8_lower(column if len(rows) == len(column) else column.take(pa.array(rows)))))
    if mappable.any():
        rows = np.flatnonzero(mappable)
        mapped = _replace_mappable(column.take(pa.array(rows)))
        if mapped is not None:
            pieces.append((rows, pc.utf8_lower(mapped)))
    return pieces


_MAX_MAPPED_CHARS = 32  # distinct mappable characters replaced in one batch; more: those texts go to Python


def _matches(column: pa.Array, char_class: str) -> np.ndarray:
    return pc.match_substring_regex(column, char_class).fill_null(True).to_numpy(zero_copy_only=False)


def _replace_mappable(texts: pa.Array) -> pa.Array | None:
    """The texts with each mappable character c replaced by f(c) (None: too many distinct ones). Each round
    finds the first mappable character left in every text (one regex pass) and replaces those characters."""
    _, _, mappable_class, f_of = char_classes()
    done = 0
    while done <= _MAX_MAPPED_CHARS:
        first = pc.struct_field(pc.extract_regex(texts, f"(?P<c>{mappable_class})"), [0])
        present = set(first.drop_null().to_pylist())
        if not present:
            return texts
        for c in present:
            texts = pc.replace_substring(texts, c, f_of[c])
        done += len(present)
    return None


CHECKED_PLANES = 0x40000  # planes 0-3; code points above are all treated as unsafe (unassigned, tags, private use)


@dataclass(frozen=True)
class CodePoints:
    """Per code point of planes 0-3 (`CHECKED_PLANES`), from this Python's unicodedata and this Arrow's lower case:
    the character, its NFKC, f(c) = NFKC(c).casefold(), Arrow's `utf8_lower` of c, and whether c starts a normalisation
    segment (`starts`: NFKC never composes across the boundary before such a character, so the NFKC of a text
    made of them is the NFKC of each character in turn; see `arrow_normalise`). Surrogates are a space in
    `chars` and never start a segment."""

    chars: list[str]
    nfkc: list[str]
    folded: list[str]
    lower: list[str]
    starts: np.ndarray


@functools.cache
def code_points() -> CodePoints:
    """The table of every code point of planes 0-3, built once per process (about half a second)."""
    chars = [chr(c) for c in range(CHECKED_PLANES)]
    chars[0xD800:0xE000] = [" "] * 0x800  # surrogates: marked below
    seconds = {0x1161 + i for i in range(21)} | {0x11A8 + i for i in range(27)}  # Hangul V and T jamo
    for c in chars:
        parts = unicodedata.decomposition(c).split()
        if len(parts) == 2 and not parts[0].startswith("<"):
            seconds.add(int(parts[1], 16))
    starts = np.fromiter(
        (unicodedata.category(c) != "Cn" and unicodedata.combining(c) == 0 and ord(c) not in seconds
         and unicodedata.combining(d[:1] or " ") == 0 and ord(d[:1] or " ") not in seconds
         for c, d in zip(chars, map(functools.partial(unicodedata.normalize, "NFKD"), chars))),
        dtype=bool, count=len(chars))
    starts[0xD800:0xE000] = False
    nfkc = [unicodedata.normalize("NFKC", c) for c in chars]
    folded = [n.casefold() for n in nfkc]
    return CodePoints(chars, nfkc, folded, pc.utf8_lower(pa.array(chars)).to_pylist(), starts)


@functools.cache
def char_classes() -> tuple[str, str, str, dict[str, str]]:
    """RE2 classes of the characters that are not safe, of those that are neither safe nor mappable, and of the
    mappable ones (`arrow_normalise`), and f(c) of each mappable character c. Built once per process."""
    table = code_points()
    chars, folded = table.chars, table.folded
    lower_folded = pc.utf8_lower(pa.array(folded)).to_pylist()
    safe = table.starts & np.fromiter((n == c and f == low for c, n, f, low in zip(chars, table.nfkc, folded, table.lower)),
                                      dtype=bool, count=len(chars))
    # f(c) is its own lower case, and made of safe characters (so that no later round replaces part of it)
    mappable = table.starts & ~safe & np.fromiter(
        (f == lf and all(ord(d) < CHECKED_PLANES and safe[ord(d)] for d in f) for f, lf in zip(folded, lower_folded)),
        dtype=bool, count=len(chars))
    return (char_class(~safe, True), char_class(~safe & ~mappable, True), char_class(mappable, False),
            {chars[i]: folded[i] for i in np.flatnonzero(mappable).tolist()})


def char_class(members: np.ndarray, beyond: bool) -> str:
    """An RE2 character class of the code points marked in `members` (runs of them as ranges), and (beyond) of
    every code point above them."""
    marked = np.append(members, beyond)  # the first code point beyond: stands for all of them
    edges = np.flatnonzero(np.diff(np.concatenate(([False], marked, [False])).astype(np.int8)))
    starts, ends = edges[0::2], edges[1::2] - 1
    if beyond:
        ends[-1] = sys.maxunicode
    return "[" + "".join(f"\\x{{{a:x}}}-\\x{{{b:x}}}" for a, b in zip(starts, ends)) + "]"
