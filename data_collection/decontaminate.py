"""Benchmark decontamination: drop corpus documents that share a long n-gram with a benchmark test question.

Units: words (NFKC, casefolded, runs of letters/digits) for space-delimited languages, n = 13 by default;
characters (NFKC, casefolded, with whitespace and punctuation removed) for zh/ja, n = 50 by default. Every
n-gram of every test question (MMedBench `Test/`, plus any English benchmark test files given: JSONL/parquet
records with a `question` field, options appended when present) goes into an index; a document is contaminated
when any of its n-grams is in the index. Questions shorter than n units cannot match (they would match too much).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from common.languages import LANGUAGES, by_code, by_name
from common.records import expand_inputs, iter_records

_WORD = re.compile(r"[^\W_]+")
_NOT_WORD = re.compile(r"[\W_]+")


def units(text: str, space_delimited: bool) -> list[str] | str:
    norm = unicodedata.normalize("NFKC", text).casefold()
    return _WORD.findall(norm) if space_delimited else _NOT_WORD.sub("", norm)


def ngrams(text: str, space_delimited: bool, n: int) -> Iterator[str]:
    u = units(text, space_delimited)
    if space_delimited:
        for i in range(len(u) - n + 1):
            yield " ".join(u[i:i + n])
    else:
        for i in range(len(u) - n + 1):
            yield u[i:i + n]


@dataclass
class Hit:
    benchmark_id: str
    ngram: str


class ContaminationIndex:
    """n-gram -> the first benchmark item that has it, for word n-grams and character n-grams separately."""

    def __init__(self, word_n: int = 13, char_n: int = 50):
        self.word_n = word_n
        self.char_n = char_n
        self.word_index: dict[str, str] = {}
        self.char_index: dict[str, str] = {}
        self.items = 0

    def add(self, item_id: str, text: str, space_delimited: bool) -> None:
        index, n = (self.word_index, self.word_n) if space_delimited else (self.char_index, self.char_n)
        for gram in ngrams(text, space_delimited, n):
            index.setdefault(gram, item_id)
        self.items += 1

    def check(self, text: str, lang: str) -> Hit | None:
        """The first shared n-gram of a document in language `lang`, or None."""
        space = by_code(lang).space_delimited
        index, n = (self.word_index, self.word_n) if space else (self.char_index, self.char_n)
        if not index:
            return None
        for gram in ngrams(text, space, n):
            item = index.get(gram)
            if item is not None:
                return Hit(item, gram)
        return None

    def __len__(self) -> int:
        return len(self.word_index) + len(self.char_index)


def _question_text(rec: dict) -> str:
    question = rec.get("question") or ""
    options = rec.get("options")
    if isinstance(options, dict):
        return question + "\n" + "\n".join(str(v) for v in options.values())
    if isinstance(options, list):
        return question + "\n" + "\n".join(str(v) for v in options)
    return str(question)


def build_index(mmedbench_test_dir: str | None, extra_files: list[str], word_n: int = 13, char_n: int = 50
                ) -> ContaminationIndex:
    """Index MMedBench `Test/<Language>.jsonl` (question + options) and English benchmark test files."""
    index = ContaminationIndex(word_n, char_n)
    if mmedbench_test_dir:
        test_dir = Path(mmedbench_test_dir)
        if not test_dir.is_dir():
            raise FileNotFoundError(f"MMedBench test folder not found: {test_dir}")
        for language in LANGUAGES:
            path = test_dir / f"{language.name}.jsonl"
            if path.exists():
                for where, rec in iter_records(path):
                    index.add(f"{language.name}-test:{where.rsplit(':', 1)[-1]}", _question_text(rec),
                              by_name(language.name).space_delimited)
    for spec in extra_files:
        for path in expand_inputs(spec):
            for where, rec in iter_records(path):
                index.add(where, _question_text(rec), True)
    return index
