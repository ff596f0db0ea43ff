"""MMedBench: the record schema, its validation, and the loader for a `Train/` or `Test/` folder.

A file is named after its language (English.jsonl, Chinese.jsonl, ...). `answer_idx` comes as "C", "A,C" or
["A", "C"] in different copies; it is normalised to a sorted list of letters. `human_checked` and
`human_check_passed` come as bools or 0/1. Each record gets a stable id `<Language>-<split>-<1-based line>`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from common.languages import MMEDBENCH_LANGUAGES, by_name
from common.records import BadRecordError, RejectLog, handle_bad_record, iter_jsonl

_LETTER = re.compile(r"^[A-Z]$")


@dataclass(frozen=True)
class MMedBenchRecord:
    id: str
    language: str
    split: str
    question: str
    options: dict[str, str]
    answer: list[str]  # sorted gold letters
    rationale: str
    human_checked: bool
    human_check_passed: bool
    extra: dict[str, Any] = field(default_factory=dict)  # answer, meta_info, metamap_phrases, ...

    @property
    def lang_code(self) -> str:
        return by_name(self.language).code

    @property
    def is_multi_answer(self) -> bool:
        return len(self.answer) > 1


def normalise_answer(answer_idx: Any) -> list[str]:
    """'C' | 'A,C' | 'A, C' | ['C','A'] -> sorted unique letters; raises ValueError on anything else."""
    if isinstance(answer_idx, str):
        parts = [p.strip() for p in re.split(r"[,;\s]+", answer_idx.strip()) if p.strip()]
    elif isinstance(answer_idx, (list, tuple)):
        parts = []
        for p in answer_idx:
            if not isinstance(p, str):
                raise ValueError(f"answer_idx items must be letters, got {p!r}")
            parts.append(p.strip())
    else:
        raise ValueError(f"answer_idx must be a letter, a comma-joined string or a list, got {answer_idx!r}")
    if not parts:
        raise ValueError("answer_idx is empty")
    bad = [p for p in parts if not _LETTER.match(p.upper())]
    if bad:
        raise ValueError(f"answer_idx has non-letter entries {bad}")
    return sorted({p.upper() for p in parts})


def _as_bool(value: Any, name: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in ("0", "1", "true", "false"):
        return value.strip().lower() in ("1", "true")
    raise ValueError(f"{name} must be a bool or 0/1, got {value!r}")


def parse_record(raw: dict, language: str, split: str, line: int) -> MMedBenchRecord:
    """Validate one raw JSON object; raises ValueError with the reason."""
    question = raw.get("question")
    if not isinstance(question, str) or not question.strip():
        raise ValueError("'question' must be a non-empty string")
    options = raw.get("options")
    if not isinstance(options, dict) or len(options) < 2:
        raise ValueError("'options' must be an object with at least two letter keys")
    for key, text in options.items():
        if not isinstance(key, str) or not _LETTER.match(key):
            raise ValueError(f"option key {key!r} is not a capital letter")
        if not isinstance(text, str) or not text.strip():
            raise ValueError(f"option {key} has no text")
    if "answer_idx" not in raw:
        raise ValueError("'answer_idx' is missing")
    answer = normalise_answer(raw["answer_idx"])
    missing = [a for a in answer if a not in options]
    if missing:
        raise ValueError(f"gold letter(s) {missing} not among the options {sorted(options)}")
    rationale = raw.get("rationale", "")
    if not isinstance(rationale, str):
        raise ValueError("'rationale' must be a string")
    known = {"question", "options", "answer_idx", "rationale", "human_checked", "human_check_passed"}
    return MMedBenchRecord(
        id=f"{language}-{split}-{line}",
        language=language,
        split=split,
        question=question,
        options={k: options[k] for k in sorted(options)},
        answer=answer,
        rationale=rationale,
        human_checked=_as_bool(raw.get("human_checked", False), "human_checked"),
        human_check_passed=_as_bool(raw.get("human_check_passed", False), "human_check_passed"),
        extra={k: v for k, v in raw.items() if k not in known},
    )


def language_of_file(path: str | Path) -> str:
    stem = Path(path).name.split(".")[0]
    try:
        return by_name(stem).name
    except ValueError:
        raise ValueError(f"{path}: MMedBench files are named after their language "
                         f"({', '.join(MMEDBENCH_LANGUAGES)}), got {stem!r}") from None


def split_of_dir(path: str | Path) -> str:
    name = Path(path).name
    return name.lower() if name.lower() in ("train", "test", "dev", "validation") else name


def load_file(
    path: str | Path,
    split: str | None = None,
    on_bad_record: str = "error",
    rejects: RejectLog | None = None,
) -> Iterator[MMedBenchRecord]:
    path = Path(path)
    language = language_of_file(path)
    split = split or split_of_dir(path.parent)
    for where, raw in iter_jsonl(path, on_bad_record, rejects):
        line = int(where.rsplit(":", 1)[1])
        try:
            yield parse_record(raw, language, split, line)
        except ValueError as err:
            handle_bad_record(where, str(err), raw, on_bad_record, rejects)


def load_split(
    split_dir: str | Path,
    languages: Iterable[str] | None = None,
    on_bad_record: str = "error",
    rejects: RejectLog | None = None,
) -> list[MMedBenchRecord]:
    """Load `Train/` or `Test/`: the selected languages (names or ISO codes; default all present), in table order."""
    split_dir = Path(split_dir)
    if not split_dir.is_dir():
        raise FileNotFoundError(f"MMedBench folder not found: {split_dir}")
    wanted = list(MMEDBENCH_LANGUAGES) if languages is None else [_language_name(x) for x in languages]
    records: list[MMedBenchRecord] = []
    for language in wanted:
        path = split_dir / f"{language}.jsonl"
        if not path.exists():
            if languages is not None:
                raise FileNotFoundError(f"{path}: no file for the requested language {language}")
            continue
        records.extend(load_file(path, on_bad_record=on_bad_record, rejects=rejects))
    if not records:
        raise BadRecordError(str(split_dir), "no MMedBench records found (expected <Language>.jsonl files)")
    return records


def _language_name(name_or_code: str) -> str:
    from common.languages import resolve

    lang = resolve(name_or_code)
    if not lang.in_mmedbench:
        raise ValueError(f"{lang.name} is not an MMedBench language ({', '.join(MMEDBENCH_LANGUAGES)})")
    return lang.name
