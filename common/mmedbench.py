"""MMedBench: the record schema, its validation, and the loader of a `Train/` or `Test/` folder into `Question`s.

A file is named after its language (English.jsonl, Chinese.jsonl, ...). `answer_idx` comes as "C", "A,C" or
["A", "C"] in different copies; it is normalised to a sorted list of letters. `human_checked` and
`human_check_passed` come as bools or 0/1.

Each record gets an id `<Language>-<split>-<1-based line>-<digest>`, e.g. `English-test-12-3fa9c2d1`: the line
says where it is, the digest (8 hex digits of its content: question, options, answer, rationale, check flag) says
what it is. A rerun recognises a question by `question_key` (the id without the line), so a line inserted above
it does not make it a new question; the k-th repeat of identical content in a file gets its own digest.
`parse_id`, `line_of` and `question_key` read ids (older ids without a digest too); nothing else should split ids.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from common.languages import MMEDBENCH_LANGUAGES, by_name
from common.questions import Question
from common.records import BadRecordError, RejectLog, handle_bad_record, iter_jsonl

_LETTER = re.compile(r"^[A-Z]$")
_ID = re.compile(r"^(?P<prefix>.+?)-(?P<line>\d+)(?:-(?P<digest>[0-9a-f]{8}))?$")


class ContentIds:
    """Makes ids `<prefix>-<line>-<digest>` for the records of one file (see the module docstring)."""

    def __init__(self) -> None:
        self._seen: Counter = Counter()

    def make(self, prefix: str, line: int | str, content: Any) -> str:
        text = json.dumps(content, sort_keys=True, ensure_ascii=False)
        repeat = self._seen[text]
        self._seen[text] += 1
        salted = text if repeat == 0 else f"{text}#{repeat}"
        return f"{prefix}-{line}-{hashlib.blake2b(salted.encode('utf-8'), digest_size=4).hexdigest()}"


def parse_id(record_id: str) -> tuple[str, int | None, str | None]:
    """(prefix, line, digest) of `English-test-12-3fa9c2d1`; an id without a digest gives digest None, an id
    without a trailing number gives (id, None, None)."""
    m = _ID.match(record_id)
    if not m:
        return record_id, None, None
    return m["prefix"], int(m["line"]), m["digest"]


def line_of(record_id: str) -> int:
    """The line (or row) number in an id; 0 when it has none (orders such records first)."""
    return parse_id(record_id)[1] or 0


def question_key(record_id: str) -> str:
    """What identifies a question across reruns: the id without its line number (`English-test-3fa9c2d1`); ids
    without a digest are their own key."""
    prefix, _line, digest = parse_id(record_id)
    return f"{prefix}-{digest}" if digest else record_id


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


def parse_record(raw: dict, language: str, split: str, line: int, ids: ContentIds | None = None,
                 where: str = "") -> Question:
    """Validate one raw JSON object into a Question; raises ValueError with the reason. `ids` makes the id (one
    per file, so repeated content is told apart)."""
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
    options = {k: options[k] for k in sorted(options)}
    passed = _as_bool(raw.get("human_check_passed", False), "human_check_passed")
    # the digest covers what a prediction record copies, so a corrected question or gold is a new question
    content = {"question": question, "options": options, "answer": answer, "rationale": rationale,
               "human_check_passed": passed}
    return Question(
        id=(ids or ContentIds()).make(f"{language}-{split}", line, content),
        language=language,
        split=split,
        question=question,
        options=options,
        gold_answer=answer,
        gold_rationale=rationale,
        human_checked=_as_bool(raw.get("human_checked", False), "human_checked"),
        human_check_passed=passed,
        extra={k: v for k, v in raw.items() if k not in known},
        where=where,
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
) -> Iterator[Question]:
    path = Path(path)
    language = language_of_file(path)
    split = split or split_of_dir(path.parent)
    ids = ContentIds()
    for where, raw in iter_jsonl(path, on_bad_record, rejects):
        line = int(where.rsplit(":", 1)[1])
        try:
            yield parse_record(raw, language, split, line, ids, where)
        except ValueError as err:
            handle_bad_record(where, str(err), raw, on_bad_record, rejects)


def load_split(
    split_dir: str | Path,
    languages: Iterable[str] | None = None,
    on_bad_record: str = "error",
    rejects: RejectLog | None = None,
) -> list[Question]:
    """Load `Train/` or `Test/`: the selected languages (names or ISO codes; default all present), in table order."""
    split_dir = Path(split_dir)
    if not split_dir.is_dir():
        raise FileNotFoundError(f"MMedBench folder not found: {split_dir}")
    wanted = list(MMEDBENCH_LANGUAGES) if languages is None else [_language_name(x) for x in languages]
    records: list[Question] = []
    for language in wanted:
        path = split_dir / f"{language}.jsonl"
        if not path.exists():
            if path.is_symlink():  # a dangling link is a language the user meant to give: never skipped
                raise FileNotFoundError(f"{path}: a link to {path.readlink()}, which does not exist")
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
