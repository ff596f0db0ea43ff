"""Text units and their hashes, shared by near-duplicate removal (data_collection/corpus/dt_dedup.py, datatrove MinHash)
and decontamination: exact-duplicate keys, n-gram hashes and the source-priority survivor rule.

Units: the NFKC, casefolded text split into words (runs of letters/digits) for space-delimited languages, or into
single characters (whitespace and punctuation removed) for zh/ja, which have no spaces between words. An n-gram
hash combines the n unit hashes with a polynomial in 64-bit arithmetic (position independent, computed for every
window at once with prefix sums in numpy) and a final avalanche mix, so a document costs a few vectorised
operations instead of one Python string per n-gram.

Survivor rule: in a group of duplicates the document kept is the one with the best (source priority, longer
text, smaller id): e.g. a textbook page beats the same text from the web.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

import numpy as np
import xxhash

_WORD = re.compile(r"[^\W_]+")
_NOT_WORD = re.compile(r"[\W_]+")
_NON_ASCII = re.compile(r"[^\x00-\x7f]")
# ASCII text: NFKC is the identity and casefold is lower(); letters and digits kept, everything else a space
_ASCII_WORDS = str.maketrans({chr(c): (chr(c).lower() if chr(c).isalnum() else " ") for c in range(128)})
# the same on UTF-8 bytes, leaving the bytes of non-ASCII characters (>= 0x80) as they are
_BYTE_WORDS = bytes(ord(chr(b).lower()) if chr(b).isalnum() else 32 for b in range(128)) + bytes(range(128, 256))
# ASCII lower-casing, and the ASCII characters str.split() treats as whitespace (\x1c-\x1f included)
_ASCII_LOWER = bytes(ord(chr(b).lower()) if b < 128 else b for b in range(256))
_ASCII_SPACE = bytes(b for b in range(128) if chr(b).isspace())
_Q = np.uint64(0x9E3779B97F4A7C15)  # odd, so it has an inverse modulo 2^64
_Q_INV = np.uint64(pow(int(_Q), -1, 1 << 64))
_CHAR_MIX = np.uint64(0xD6E8FEB86659FD93)


def dedup_key(text: str) -> bytes:
    """Exact-duplicate key: sha1 of the NFKC casefolded text with all whitespace removed."""
    if text.isascii():  # NFKC is the identity, casefold is lower(): one C pass over the bytes
        return hashlib.sha1(text.encode("ascii").translate(_ASCII_LOWER, _ASCII_SPACE)).digest()
    norm = "".join(unicodedata.normalize("NFKC", text).casefold().split())
    return hashlib.sha1(norm.encode("utf-8", "surrogatepass")).digest()


def units(text: str, space_delimited: bool) -> list[str] | str:
    """Words (space-delimited languages) or characters without whitespace/punctuation (zh/ja)."""
    if space_delimited:  # the same words as the regex, by C translate and split where the text is ASCII
        return text.translate(_ASCII_WORDS).split() if text.isascii() else _mixed_words(text)
    return _NOT_WORD.sub("", unicodedata.normalize("NFKC", text).casefold())


def _mixed_words(text: str) -> list[str]:
    """_WORD.findall(NFKC(text).casefold()) for text with non-ASCII characters. When they are rare (English with a
    few accents, degree signs or curly quotes), the text is cut on its UTF-8 bytes (ASCII punctuation and spaces
    never belong to a word: C translate and split) and only the pieces around a non-ASCII character go through
    casefold and the regex; when they are common (French, Russian) the regex over the whole text is faster."""
    norm = unicodedata.normalize("NFKC", text)
    head = norm[:512]  # decides the path only (both give the same words)
    if len(head.encode("utf-8", "surrogatepass")) - len(head) > 4:  # non-ASCII is common
        return _WORD.findall(norm.casefold())
    cut = norm.encode("utf-8", "surrogatepass").translate(_BYTE_WORDS).decode("utf-8", "surrogatepass")
    words: list[str] = []
    done = 0  # cut[:done] is in words
    for match in _NON_ASCII.finditer(cut):
        at = match.start()
        if at < done:  # in the piece just handled
            continue
        start = cut.rfind(" ", done, at) + 1
        end = cut.find(" ", at)
        end = len(cut) if end < 0 else end
        words += cut[done:start].split()
        words += _WORD.findall(cut[start:end].casefold())
        done = end
    words += cut[done:].split()
    return words


class _WordHashCache(dict):
    """word -> xxh64: text repeats its words, and a dict lookup costs a third of hashing the word again."""

    max_entries = 300_000  # about 40 MB; cleared when full

    def __missing__(self, word: str) -> int:
        h = xxhash.xxh64_intdigest(word.encode("utf-8", "surrogatepass"))
        if len(self) >= self.max_entries:
            self.clear()
        self[word] = h
        return h


_WORD_HASHES = _WordHashCache()


def unit_hashes(u: list[str] | str) -> np.ndarray:
    """One uint64 per unit: xxh64 of each word, or a mixed code point per character."""
    if isinstance(u, str):
        return np.frombuffer(u.encode("utf-32-le", "surrogatepass"), dtype=np.uint32).astype(np.uint64) * _CHAR_MIX
    return np.fromiter(map(_WORD_HASHES.__getitem__, u), dtype=np.uint64, count=len(u))


def _mix(x: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser, in place: spreads the polynomial's bits (vectorised, wraps modulo 2^64)."""
    x ^= x >> np.uint64(30)
    x *= np.uint64(0xBF58476D1CE4E5B9)
    x ^= x >> np.uint64(27)
    x *= np.uint64(0x94D049BB133111EB)
    x ^= x >> np.uint64(31)
    return x


_POWERS = {_Q: np.ones(1, dtype=np.uint64), _Q_INV: np.ones(1, dtype=np.uint64)}


def _powers(q: np.uint64, n: int) -> np.ndarray:
    """q^0 .. q^(n-1) modulo 2^64, computed once for the longest text seen (doubling) and sliced."""
    have = _POWERS[q]
    if len(have) < n:
        size = max(n, 2 * len(have))
        have = np.empty(size, dtype=np.uint64)
        have[0] = 1
        have[1:] = q
        np.cumprod(have, out=have)
        _POWERS[q] = have
    return have[:n]


def gram_hashes(h: np.ndarray, n: int, whole_if_short: bool = False) -> np.ndarray:
    """Hashes of every window of n consecutive unit hashes. Fewer than n units: one hash of all of them
    (whole_if_short, for deduplication of short texts) or none (decontamination: too short to match)."""
    if len(h) < n:
        if not whole_if_short or len(h) == 0:
            return np.zeros(0, dtype=np.uint64)
        n = len(h)
    prefix = np.empty(len(h) + 1, dtype=np.uint64)
    prefix[0] = 0
    np.cumsum(h * _powers(_Q, len(h)), out=prefix[1:])
    grams = prefix[n:] - prefix[:-n]
    grams *= _powers(_Q_INV, len(h) - n + 1)
    return _mix(grams)


def batch_gram_hashes(h: np.ndarray, offsets: np.ndarray, n: int,
                      whole_if_short: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """gram_hashes of every document of a batch at once. `h` holds the documents' unit hashes one after another
    (document d: h[offsets[d]:offsets[d + 1]]); returns their gram hashes one after another and the offsets of
    each document's. Equal to gram_hashes per document (a window's hash does not depend on where it lies), with
    a few vectorised operations per batch instead of a few per document."""
    lens = np.diff(offsets)
    full = np.maximum(lens - n + 1, 0)
    short = (lens > 0) & (lens < n) if whole_if_short else np.zeros(len(lens), dtype=bool)
    counts = full + short
    out_offsets = np.zeros(len(lens) + 1, dtype=np.int64)
    np.cumsum(counts, out=out_offsets[1:])
    out = np.empty(int(out_offsets[-1]), dtype=np.uint64)
    if full.any():
        windows = gram_hashes(h, n)  # every window of the concatenation; those inside one document are taken
        src = np.arange(len(out), dtype=np.int64) + np.repeat(offsets[:-1] - out_offsets[:-1], counts)
        inside = ~np.repeat(short, counts)
        out[inside] = windows[src[inside]]
    for d in np.flatnonzero(short):  # fewer units than n: one hash of them all
        out[out_offsets[d]] = gram_hashes(h[offsets[d]:offsets[d + 1]], n, whole_if_short=True)[0]
    return out, out_offsets


def source_rank(source: str, priority: list[str]) -> int:
    return priority.index(source) if source in priority else len(priority)


def survivor_key(source: str, length: int, doc_id: str, priority: list[str]) -> tuple:
    """Smaller is better: earlier source in `priority`, then the longer text, then the smaller id."""
    return source_rank(source, priority), -length, doc_id
