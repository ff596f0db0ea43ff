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

How it is fast: one Aho-Corasick automaton (ahocorasick-rs, Rust, a DFA) over all keywords reports every
occurrence (overlapping) of every keyword in a single pass over the text's UTF-8 bytes; occurrences of one keyword
arrive in increasing position, so the non-overlapping left-to-right count is a greedy test against the end of that
keyword's last counted occurrence. Matching bytes is exact because UTF-8 is self-synchronising: a keyword's bytes
can only match at character boundaries, so byte matches and character matches are the same occurrences in the same
order. The word-boundary test looks at the byte before and after an occurrence (ASCII: a table; otherwise the one
character there is decoded). Text without any keyword costs only the normalisation, the encoding and the pass.

Batches (`score_many`, what the filter calls): most web documents contain no keyword, and for zh/ja the automaton
pass is what costs. `_PrefixPrefilter` first decides, for a whole batch at once in numpy, which documents could
contain a keyword. It reads the UTF-16 code units of the batch's normalised texts joined by NUL; at every position
it hashes the unit and the next one and looks the hash up in a 1 MiB table of the keywords' hashed first two
units; the few positions that pass are checked exactly against the 2-unit keywords and the first three units of
longer keywords (1-unit keywords: a 64K table of units). A real occurrence passes every test at its first unit,
which lies in its own document, so a document without a candidate position has no occurrence and gets MKC 0 / DENS
0 without the automaton pass; hash collisions only add candidates, which then go through the exact automaton path.
Results are therefore identical to `score`. (Not used for space-delimited languages: their keywords start with
common letter pairs, so nearly every document would be a candidate.)

Batches in Arrow (`score_many(texts, column)`; the filter passes its parquet column): texts are scored together,
one automaton pass over an Arrow buffer and numpy counting (data_collection/filtering/buffer_counts.py), with the same
rules. Space-delimited languages: the texts whose normalised form Arrow computes exactly
(data_collection/filtering/normalise.py: `arrow_normalise`). zh/ja: the texts whose scores normalising cannot change, from
their raw text, every spelling of a keyword a pattern, with the length the normalised text would have
(data_collection/filtering/raw_scores.py).
The others as above. tests/test_arrow_normalise.py and tests/test_raw_scores.py compare both ways.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import ahocorasick_rs
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from common.languages import by_code
from data_collection.filtering.buffer_counts import buffer_scores
from data_collection.filtering.keyword_lists import KeywordList, keyword_list
from data_collection.filtering.normalise import arrow_normalise, normalise, normalise_many
from data_collection.filtering.raw_scores import raw_scorer


@dataclass(frozen=True)
class Score:
    mkc: int  # distinct keywords found
    dens: float  # keyword characters / text characters (normalised)
    n_chars: int  # len of the normalised text


@dataclass(frozen=True)
class Scores:
    """The scores of a batch, as arrays (what the filter counts with, without a Score object per text)."""

    mkc: np.ndarray  # int64
    dens: np.ndarray  # float64: matched characters / n_chars, exactly the Python division
    n_chars: np.ndarray  # int64

    @classmethod
    def empty(cls, n: int) -> Scores:
        return cls(np.zeros(n, np.int64), np.zeros(n, np.float64), np.zeros(n, np.int64))

    def __getitem__(self, i: int) -> Score:
        return Score(int(self.mkc[i]), float(self.dens[i]), int(self.n_chars[i]))

    def set(self, rows: Sequence[int] | np.ndarray | slice, scores: Sequence[Score]) -> None:
        self.mkc[rows] = [s.mkc for s in scores]
        self.dens[rows] = [s.dens for s in scores]
        self.n_chars[rows] = [s.n_chars for s in scores]

    def to_list(self) -> list[Score]:
        return [Score(*row) for row in zip(self.mkc.tolist(), self.dens.tolist(), self.n_chars.tolist())]

    def keep(self, t_mkc: int, t_dens: float) -> np.ndarray:
        """`keep` of every score, as a bool array."""
        return (self.mkc >= t_mkc) & (self.dens >= t_dens)


class KeywordMatcher:
    """Scores texts against one language's keywords. Build once, then call `score(text)` or, faster for many
    texts, `score_many(texts)` (same results)."""

    def __init__(self, keywords: Iterable[str], space_delimited: bool):
        normed = [normalise(k) for k in keywords]
        self.keywords: list[str] = list(dict.fromkeys(k for k in normed if k))
        if not self.keywords:
            raise ValueError("no keywords given")
        self.space_delimited = space_delimited
        # every occurrence (overlapping) of every keyword, reported as (keyword index, byte start, byte end)
        self._automaton = ahocorasick_rs.BytesAhoCorasick([_utf8(k) for k in self.keywords],
                                                          implementation=ahocorasick_rs.Implementation.DFA)
        self._prefilter = None if space_delimited else _PrefixPrefilter(self.keywords)
        self._keyword_chars = np.array([len(k) for k in self.keywords], dtype=np.int64)

    @classmethod
    def for_language(cls, lang: str, keywords_dir: str | Path | None = None,
                     keywords: str = "paper") -> KeywordMatcher:
        """The matcher of a language's keyword list (data_collection/filtering/keyword_lists.py: `keywords` names the
        list, paper by default; `keywords_dir` holds custom <lang>.txt lists and wins)."""
        return cls.for_list(keyword_list(lang, keywords, keywords_dir))

    @classmethod
    def for_list(cls, kw_list: KeywordList) -> KeywordMatcher:
        return cls(kw_list.words, by_code(kw_list.lang).space_delimited)

    def counts_normalised(self, text: str) -> dict[int, int]:
        """keyword index -> count, for text that is already `normalise`d."""
        data = _utf8(text)
        matches = self._automaton.find_matches_as_indexes(data, overlapping=True)
        if not matches:
            return {}
        counts: dict[int, int] = {}
        next_free: dict[int, int] = {}  # keyword index -> first byte a new occurrence may start at
        check = self.space_delimited
        for idx, start, end in matches:
            if start < next_free.get(idx, 0):
                continue
            if check and not _word_bounded(data, start, end):
                continue
            counts[idx] = counts.get(idx, 0) + 1
            next_free[idx] = end
        return counts

    def counts(self, text: str) -> dict[str, int]:
        """keyword (normalised) -> count > 0, for raw text."""
        return {self.keywords[i]: c for i, c in self.counts_normalised(normalise(text)).items()}

    def score(self, text: str) -> Score:
        return self._score_normalised(normalise(text))

    def score_many(self, texts: Sequence[str], column: pa.Array | None = None) -> list[Score]:
        """`[score(t) for t in texts]`, faster: texts not yet in NFKC are normalised in one vectorised call
        (data_collection/filtering/normalise.py), and for zh/ja one vectorised prefilter over the whole batch skips the
        automaton pass for documents that cannot contain a keyword. Its memory grows with the batch (about 15
        bytes per character, part of it kept for the next call), so pass batches: the filter passes one parquet
        read batch at a time.

        `column`, the same texts as an Arrow string array (the filter has it from parquet): then most texts are
        scored together in one automaton pass over an Arrow buffer (data_collection/filtering/buffer_counts.py): for
        space-delimited languages the texts that Arrow normalises exactly (data_collection/filtering/normalise.py:
        `arrow_normalise`), for zh/ja those whose scores normalising cannot change, from their raw text
        (data_collection/filtering/raw_scores.py); the others as above."""
        if column is not None and len(texts):
            return self.score_arrays(texts, column).to_list()
        norms = normalise_many(texts)
        if self._prefilter is None:
            return [self._score_normalised(norm) for norm in norms]
        maybe = self._prefilter.candidates(norms)
        return [self._score_normalised(norm) if hit else Score(0, 0.0, len(norm)) for norm, hit in zip(norms, maybe)]

    def score_arrays(self, texts: Sequence[str], column: pa.Array | None = None) -> Scores:
        """`score_many(texts, column)` as arrays: with a column, the texts of the Arrow path never become Score
        objects."""
        if column is None:
            scores = Scores.empty(len(texts))
            scores.set(slice(None), self.score_many(texts))
            return scores
        scores, done = Scores.empty(len(texts)), np.zeros(len(texts), dtype=bool)
        for rows, mkc, matched, n_chars in self._column_scores(column):
            scores.mkc[rows], scores.n_chars[rows], done[rows] = mkc, n_chars, True
            scores.dens[rows] = np.divide(matched, n_chars, out=np.zeros(len(rows)), where=n_chars > 0)
        rest = np.flatnonzero(~done)
        if len(rest):
            scores.set(rest, self.score_many([texts[i] for i in rest.tolist()]))
        return scores

    def _column_scores(self, column: pa.Array) -> Iterator[tuple[np.ndarray, ...]]:
        """(rows, MKC, matched characters, normalised lengths) for the rows of an Arrow column that need no
        Python normalisation: zh/ja from the raw text (data_collection/filtering/raw_scores.py), others normalised by
        Arrow."""
        if not self.space_delimited:
            piece = raw_scorer(tuple(self.keywords)).score_column(column, self._keyword_chars)
            yield piece.rows, piece.mkc, piece.matched, piece.n_chars
            return
        for rows, normalised in arrow_normalise(column):
            mkc, matched = buffer_scores(self._automaton, self._keyword_chars, True, normalised)
            yield rows, mkc, matched, pc.utf8_length(normalised).to_numpy(zero_copy_only=False)

    def prepare_batches(self) -> None:
        """Build now what `score_many` with a column builds on first use (zh/ja: about half a second)."""
        if not self.space_delimited:
            raw_scorer(tuple(self.keywords))

    def _score_normalised(self, norm: str) -> Score:
        n = len(norm)
        if n == 0:
            return Score(0, 0.0, 0)
        counts = self.counts_normalised(norm)
        if not counts:
            return Score(0, 0.0, n)
        kw = self.keywords
        matched = sum(c * len(kw[i]) for i, c in counts.items())
        return Score(len(counts), matched / n, n)


def prepare_batch_tables() -> None:
    """Build now the per-process tables of `score_many` (about 0.9 s: which characters Arrow normalises exactly,
    isalnum per code point, the code points this Python does not know), e.g. before timing a shard."""
    from data_collection.filtering.buffer_counts import isalnum_table
    from data_collection.filtering.normalise import char_classes, unassigned_class

    char_classes()
    isalnum_table()
    unassigned_class()


def _utf8(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass")


_ASCII_ALNUM = tuple(chr(c).isalnum() for c in range(128))


def _word_bounded(data: bytes, start: int, end: int) -> bool:
    """The UTF-8 text `data` has no alphanumeric character (`str.isalnum`) just before byte `start` nor at byte
    `end` (both character boundaries). ASCII neighbours are looked up; others are decoded (one character)."""
    if start > 0:
        c = data[start - 1]
        if c < 0x80:
            if _ASCII_ALNUM[c]:
                return False
        else:
            first = start - 1
            while data[first] & 0xC0 == 0x80:  # continuation bytes: back to the character's lead byte
                first -= 1
            if data[first:start].decode("utf-8", "surrogatepass").isalnum():
                return False
    if end < len(data):
        c = data[end]
        if c < 0x80:
            return not _ASCII_ALNUM[c]
        width = 2 if c < 0xE0 else 3 if c < 0xF0 else 4
        return not data[end:end + width].decode("utf-8", "surrogatepass").isalnum()
    return True


_HASH_BITS = 20  # 1 MiB bool table: a few hundred keys, so a random position collides with p ~ 2e-4
_MULT32 = np.uint32(0x9E3779B1)  # Fibonacci hashing: multiply, keep the top bits


def _hash32(keys: np.ndarray) -> np.ndarray:
    return (keys * _MULT32) >> np.uint32(32 - _HASH_BITS)


def _member(values: np.ndarray, sorted_keys: np.ndarray) -> np.ndarray:
    """bool per value: it is one of `sorted_keys`."""
    if len(sorted_keys) == 0:
        return np.zeros(len(values), dtype=bool)
    idx = np.minimum(np.searchsorted(sorted_keys, values), len(sorted_keys) - 1)
    return sorted_keys[idx] == values


class _PrefixPrefilter:
    """Which texts of a batch may contain one of `keywords` (all normalised, non-empty): never rules out a text
    with an occurrence. Works on UTF-16 code units (surrogatepass), in which an occurrence of a keyword is an
    occurrence of its units, so each test below is a necessary condition for an occurrence starting there."""

    def __init__(self, keywords: list[str]):
        self.singles = np.zeros(1 << 16, dtype=bool)  # unit is a whole keyword
        self.pair_prefixes = np.zeros(1 << _HASH_BITS, dtype=bool)  # hashed first two units, keywords >= 2 units
        pairs, triples = set(), set()  # exact keys: 2-unit keywords; first three units of longer keywords
        for kw in keywords:
            units = [int(u) for u in np.frombuffer(_utf16(kw), dtype="<u2")]
            if len(units) == 1:
                self.singles[units[0]] = True
                continue
            pair = units[0] | units[1] << 16
            self.pair_prefixes[_hash32(np.array([pair], dtype=np.uint32))] = True
            if len(units) == 2:
                pairs.add(pair)
            else:
                triples.add(pair | units[2] << 32)
        self.pairs = np.array(sorted(pairs), dtype=np.uint32)
        self.triples = np.array(sorted(triples), dtype=np.uint64)
        self.any_singles = bool(self.singles.any())
        self._work = threading.local()

    def candidates(self, norms: list[str]) -> np.ndarray:
        """bool per text: True when the text may contain a keyword (then it needs the exact pass)."""
        if not norms:
            return np.zeros(0, dtype=bool)
        encoded = [_utf16(t) for t in norms]
        # NUL between texts, so that (unless a keyword contains NUL) no candidate spans two texts; two NULs after
        # the last text, so that units[p + 2] exists for every text position p
        buf = b"\0\0".join([*encoded, b"\0\0"])
        n = len(buf) // 2 - 2  # units of the texts and the separators between them
        ends = np.cumsum(np.fromiter(map(len, encoded), dtype=np.int64, count=len(norms)) // 2 + 1) - 1
        units = np.frombuffer(buf, dtype="<u2")  # little-endian: the UTF-16-LE bytes on any machine
        found = [np.flatnonzero(self._lookup(self.singles, units[:n], hashed=False))] if self.any_singles else []
        for first in (0, 1):
            # the unit at every even (odd) position and the next one as one little-endian uint32, read in place
            pairs = np.frombuffer(buf, dtype="<u4", count=(n + 1 - first) // 2, offset=2 * first)
            # stage 1, all positions: the two units start some keyword of >= 2 units (hashed)
            keep = np.flatnonzero(self._lookup(self.pair_prefixes, pairs, hashed=True))
            pos, pair = 2 * keep + first, pairs[keep]
            # stage 2, few positions, exact: a whole 2-unit keyword, or the first three units of a longer one
            triple = pair.astype(np.uint64) | (units[pos + 2].astype(np.uint64) << np.uint64(32))
            found.append(pos[_member(pair, self.pairs) | _member(triple, self.triples)])
        # text i holds the positions from ends[i - 1] + 1 (after its separator) to ends[i] - 1; a position at a
        # separator (only if a keyword contains NUL) can only add a candidate
        out = np.zeros(len(norms), dtype=bool)
        out[np.searchsorted(ends, np.concatenate(found), side="right")] = True
        return out

    def _lookup(self, table: np.ndarray, keys: np.ndarray, hashed: bool) -> np.ndarray:
        """table[_hash32(keys) if hashed else keys], computed in work arrays kept between batches (per thread):
        fresh multi-MB arrays for every batch cost about as much in page faults as the arithmetic itself. The
        result is overwritten by the next call."""
        size = len(keys)
        work = getattr(self._work, "arrays", None)
        if work is None or len(work[0]) < size:
            work = (np.empty(size, np.uint32), np.empty(size, np.intp), np.empty(size, bool))
            self._work.arrays = work
        hashes, index, hits = (w[:size] for w in work)
        if hashed:
            np.multiply(keys, _MULT32, out=hashes)
            np.right_shift(hashes, np.uint32(32 - _HASH_BITS), out=index)  # intp: `take` need not convert
        else:
            np.copyto(index, keys)
        return np.take(table, index, out=hits)


def _utf16(text: str) -> bytes:
    return text.encode("utf-16-le", "surrogatepass")


def keep(score: Score, t_mkc: int, t_dens: float) -> bool:
    """The paper's rule: keep when MKC >= t_mkc and DENS >= t_dens."""
    return score.mkc >= t_mkc and score.dens >= t_dens


PAPER_THRESHOLDS: dict[str, dict[str, float]] = {
    "en": {"mkc": 5, "dens": 0.04}, "zh": {"mkc": 5, "dens": 0.05}, "ja": {"mkc": 5, "dens": 0.05},
    "ru": {"mkc": 4, "dens": 0.02}, "es": {"mkc": 4, "dens": 0.04}, "fr": {"mkc": 4, "dens": 0.04},
    "de": {"mkc": 4, "dens": 0.04}, "ar": {"mkc": 4, "dens": 0.04},  # untuned starting values
}


@functools.cache
def _cached_matcher(lang: str, keywords: str, keywords_dir: str | None) -> tuple[KeywordList, KeywordMatcher]:
    """Built once per process (and inherited by forked workers): building the automaton costs ~10 ms."""
    kw_list = keyword_list(lang, keywords, keywords_dir)
    return kw_list, KeywordMatcher.for_list(kw_list)


class KeywordRule:
    """The keyword filter's keep decision for every language it knows: per language a keyword list
    (data_collection/filtering/keyword_lists.py) and thresholds {mkc, dens}. `decide` is the one decision that
    `python -m data_collection.filter` and the datatrove block (data_collection/filtering/dt_blocks.py) both apply."""

    def __init__(self, thresholds: Mapping[str, Mapping[str, float]], keywords: str = "paper",
                 keywords_dir: str | None = None):
        self.thresholds: dict[str, tuple[int, float]] = {}
        for lang, t in thresholds.items():
            if set(t) != {"mkc", "dens"}:
                raise ValueError(f"thresholds.{lang} must have exactly the keys mkc and dens, got {sorted(t)}")
            self.thresholds[by_code(lang).code] = (int(t["mkc"]), float(t["dens"]))
        self.keywords = keywords
        self.keywords_dir = str(keywords_dir) if keywords_dir else None

    def check(self) -> None:
        """Load every language's list now (a missing file fails here, naming it, not in a worker)."""
        for lang in self.thresholds:
            self.matcher(lang)

    def prepare_batches(self, langs: Iterable[str] | None = None) -> None:
        """Build the batch tables of these languages (default: all) now (`KeywordMatcher.prepare_batches`),
        e.g. before timing."""
        for lang in self.thresholds if langs is None else langs:
            self.matcher(lang).prepare_batches()

    def matcher(self, lang: str) -> KeywordMatcher:
        return _cached_matcher(lang, self.keywords, self.keywords_dir)[1]

    def lists(self) -> dict[str, str]:
        """language -> the list it is matched with (paper, extended, or why not the one asked for)."""
        return {lang: _cached_matcher(lang, self.keywords, self.keywords_dir)[0].describe()
                for lang in self.thresholds}

    def decide(self, lang: str, texts: Sequence[str], column: pa.Array | None = None) -> list[tuple[bool, Score]]:
        """(keep, score) for each text of language `lang` (a code in the thresholds); `column`: the same texts
        as an Arrow string array, when the caller has one (faster, same results)."""
        t_mkc, t_dens = self.thresholds[lang]
        return [(keep(s, t_mkc, t_dens), s) for s in self.matcher(lang).score_many(texts, column)]

    def decide_arrays(self, lang: str, texts: Sequence[str],
                      column: pa.Array | None = None) -> tuple[np.ndarray, Scores]:
        """`decide` as arrays: keep (bool) per text, and the scores."""
        scores = self.matcher(lang).score_arrays(texts, column)
        return scores.keep(*self.thresholds[lang]), scores
