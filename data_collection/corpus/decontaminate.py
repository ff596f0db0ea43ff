"""Benchmark decontamination: drop corpus documents that share a long n-gram with a benchmark test question.

Units (data_collection/corpus/dedup.py): words (NFKC, casefolded, runs of letters/digits) for space-delimited languages,
n = 13 by default; characters (NFKC, casefolded, whitespace and punctuation removed) for zh/ja, n = 50 by default.
Every n-gram of every test question (MMedBench `Test/`, plus any English benchmark test files given: JSONL/parquet
records with a `question` field, options appended when present) goes into an index of 64-bit n-gram hashes; a
document is contaminated when any of its n-grams is in the index.

Short zh/ja questions: most Chinese and Japanese exam questions are 10-40 characters, under n, so no n-gram of
theirs exists. Each such question (without its options) of at least `char_min` characters is matched on its own:
a document containing the whole normalised question is contaminated (one Aho-Corasick pass over the document).
Shorter ones ("最可能的诊断是") are too generic to match and are counted as unchecked. Space-delimited questions
shorter than n words are likewise unchecked (a 10-word English question matches too much).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from common.languages import LANGUAGES, by_code, by_name
from common.records import expand_inputs, iter_records
from data_collection.corpus.dedup import batch_gram_hashes, gram_hashes, unit_hashes, units


@dataclass
class Hit:
    benchmark_id: str
    ngram: str


class ContaminationIndex:
    """n-gram hash -> the first benchmark item that has it (words and characters apart), plus whole short zh/ja
    questions in an Aho-Corasick automaton."""

    def __init__(self, word_n: int = 13, char_n: int = 50, char_min: int = 10):
        self.word_n, self.char_n, self.char_min = word_n, char_n, char_min
        self.grams: dict[bool, dict[int, str]] = {True: {}, False: {}}
        self._sorted: dict[bool, np.ndarray] = {}
        self._bitmaps: dict[bool, tuple[np.ndarray, np.uint64]] = {}
        self._short = None
        self._short_items: dict[str, str] = {}
        self.items = 0
        self.unchecked = 0

    def add(self, item_id: str, text: str, space_delimited: bool, question: str | None = None) -> None:
        """Index one benchmark item: `text` is the question with its options; `question` alone, when given,
        is what a short zh/ja item is matched by."""
        n = self.word_n if space_delimited else self.char_n
        grams = gram_hashes(unit_hashes(units(text, space_delimited)), n)
        for g in grams.tolist():
            self.grams[space_delimited].setdefault(g, item_id)
        self.items += 1
        self._sorted.pop(space_delimited, None)
        self._bitmaps.pop(space_delimited, None)
        short = units(question if question is not None else text, False) if not space_delimited else ""
        if not space_delimited and self.char_min <= len(short) < n:
            self._short_items.setdefault(short, item_id)
            self._short = None
        elif len(grams) == 0:
            self.unchecked += 1

    def _index(self, space: bool) -> np.ndarray:
        if space not in self._sorted:
            self._sorted[space] = np.array(sorted(self.grams[space]), dtype=np.uint64)
        return self._sorted[space]

    def _bitmap(self, space: bool) -> tuple[np.ndarray, np.uint64]:
        """(bool per value of a hash's top bits: some indexed n-gram has it, the shift that gives those bits). A
        lookup here rules out nearly every n-gram of a document before the exact search of the sorted index: the
        table has 16 to 32 entries per indexed n-gram (so at most 6% of unrelated n-grams pass), 64 KB to 64 MB."""
        if space not in self._bitmaps:
            index = self._index(space)
            bits = min(26, max(16, int(len(index) * 16).bit_length()))
            bitmap = np.zeros(1 << bits, dtype=bool)
            bitmap[index >> np.uint64(64 - bits)] = True
            self._bitmaps[space] = (bitmap, np.uint64(64 - bits))
        return self._bitmaps[space]

    def _short_automaton(self):
        if self._short is None:
            import ahocorasick

            self._short = ahocorasick.Automaton()
            for key, item in self._short_items.items():
                self._short.add_word(key, (item, key))
            self._short.make_automaton()
        return self._short

    def check(self, text: str, lang: str) -> Hit | None:
        """The first shared n-gram (or whole short question) of a document in language `lang`, or None."""
        space = by_code(lang).space_delimited
        u = units(text, space)
        return self.check_units(u, unit_hashes(u), space)

    def check_units(self, u: list[str] | str, hashes: np.ndarray, space: bool) -> Hit | None:
        """`check` on a document's units and unit hashes already computed (data_collection/corpus/dedup.py)."""
        return self.check_batch([u], hashes, np.array([0, len(hashes)], dtype=np.int64), space).get(0)

    def check_batch(self, unit_lists: list, hashes: np.ndarray, offsets: np.ndarray, space: bool) -> dict[int, Hit]:
        """check_units for a batch of documents at once: their units, and their unit hashes one after another
        (document d: hashes[offsets[d]:offsets[d + 1]]). Returns document -> its first hit, for the documents
        that have one (the same hits as check_units on each)."""
        n = self.word_n if space else self.char_n
        index = self._index(space)
        hits: dict[int, Hit] = {}
        if len(index):
            grams, gram_offsets = batch_gram_hashes(hashes, offsets, n)
            bitmap, shift = self._bitmap(space)
            maybe = np.flatnonzero(bitmap[grams >> shift])
            pos = np.minimum(np.searchsorted(index, grams[maybe]), len(index) - 1)
            for i in maybe[index[pos] == grams[maybe]].tolist():  # increasing: a document's first hit comes first
                d = int(np.searchsorted(gram_offsets, i, side="right")) - 1
                if d not in hits:
                    u, k = unit_lists[d], i - int(gram_offsets[d])
                    hits[d] = Hit(self.grams[space][int(grams[i])], " ".join(u[k:k + n]) if space else u[k:k + n])
        if not space and self._short_items:
            automaton = self._short_automaton()
            for d, u in enumerate(unit_lists):
                if d not in hits:
                    for _, (item, key) in automaton.iter(u):
                        hits[d] = Hit(item, key)
                        break
        return hits

    def __len__(self) -> int:
        return len(self.grams[True]) + len(self.grams[False]) + len(self._short_items)


def _question_text(rec: dict) -> str:
    question = rec.get("question") or ""
    options = rec.get("options")
    if isinstance(options, dict):
        return question + "\n" + "\n".join(str(v) for v in options.values())
    if isinstance(options, list):
        return question + "\n" + "\n".join(str(v) for v in options)
    return str(question)


def check_sources(mmedbench_test_dir: str | None, extra_files: list[str]) -> None:
    """Fail early (before hours of cleaning) when a benchmark source is missing."""
    if mmedbench_test_dir and not Path(mmedbench_test_dir).is_dir():
        raise FileNotFoundError(f"MMedBench test folder not found: {mmedbench_test_dir}")
    for spec in extra_files:
        expand_inputs(spec)  # raises naming the missing path


def build_index(mmedbench_test_dir: str | None, extra_files: list[str], word_n: int = 13, char_n: int = 50,
                char_min: int = 10) -> ContaminationIndex:
    """Index MMedBench `Test/<Language>.jsonl` (question + options) and English benchmark test files."""
    check_sources(mmedbench_test_dir, extra_files)
    index = ContaminationIndex(word_n, char_n, char_min)
    if mmedbench_test_dir:
        for language in LANGUAGES:
            path = Path(mmedbench_test_dir) / f"{language.name}.jsonl"
            if path.exists():
                for where, rec in iter_records(path):
                    index.add(f"{language.name}-test:{where.rsplit(':', 1)[-1]}", _question_text(rec),
                              by_name(language.name).space_delimited, str(rec.get("question") or ""))
    for spec in extra_files:
        for path in expand_inputs(spec):
            for where, rec in iter_records(path):
                index.add(where, _question_text(rec), True)
    return index
