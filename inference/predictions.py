"""The prediction record (DESIGN.md "Records"): what `inference.generate` writes, one JSON line per generated answer,
and what `inference.evaluate`, `inference.suite` and `inference.judge` read back, ours or anyone's.

`Prediction.from_json` is the one check of a record read from a file: a record that cannot be scored raises a
BadRecordError naming its file and line (or goes to the reject log with `on_bad_record: skip`). A language given as
its ISO code ("en") is read as its name, so the record lands in its language's column. Fields beyond the record's
are not kept.

A predictions path is a file or a folder (every predictions*.jsonl in it: the shards of one run); `name=path`
names the model (`split_model_spec`), and `--predictions a name=b c` takes several (`gather_prediction_args`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from common.cli import UserError
from common.languages import resolve
from common.mmedbench import question_key
from common.questions import Question
from common.records import BadRecordError, RejectLog, handle_bad_record, iter_jsonl

RECORD_FIELDS = ("id", "language", "mode", "options", "gold_answer", "gold_rationale", "human_check_passed",
                 "prompt", "output")
PREDICTION_MODES = ("answer", "rationale")


@dataclass(frozen=True)
class Prediction:
    id: str  # the question's id (common.mmedbench: `<Language>-<split>-<line>-<digest>`)
    language: str  # the language's name ("English")
    mode: str  # "answer" | "rationale": the prompt kind the output answers
    options: dict[str, str]
    gold_answer: list[str]  # sorted gold letters
    gold_rationale: str  # the reference rationale ("" where the benchmark has none)
    human_check_passed: bool  # the reference rationale passed the benchmark's human check
    prompt: str
    output: str  # the generated text only, without the prompt
    benchmark: str = ""  # "" for MMedBench; "medqa", "mmlu/anatomy", ... (Table 3, never the MMedBench tables)
    prompt_style: str = ""  # the prompt style generation used ('' when the file does not say)

    @property
    def key(self) -> tuple[str, str]:
        """(question, mode): the question by its content, not its line (common.mmedbench.question_key)."""
        return question_key(self.id), self.mode

    @classmethod
    def from_question(cls, q: Question, mode: str, prompt: str, output: str, prompt_style: str) -> Prediction:
        return cls(id=q.id, language=q.language, mode=mode, options=q.options, gold_answer=q.gold_answer,
                   gold_rationale=q.gold_rationale, human_check_passed=q.human_check_passed, prompt=prompt,
                   output=output, benchmark=q.benchmark, prompt_style=prompt_style)

    @classmethod
    def from_json(cls, obj: Any, where: str) -> Prediction:
        """The record of one JSON line read at `where` (file:line); raises BadRecordError saying what is wrong."""
        problem = _problem(obj)
        if problem:
            raise BadRecordError(where, problem)
        return cls(id=str(obj["id"]), language=resolve(str(obj["language"])).name, mode=obj["mode"],
                   options=obj["options"], gold_answer=list(obj["gold_answer"]),
                   gold_rationale=obj["gold_rationale"] or "", human_check_passed=bool(obj["human_check_passed"]),
                   prompt=str(obj["prompt"]), output=obj["output"], benchmark=str(obj.get("benchmark") or ""),
                   prompt_style=str(obj.get("prompt_style") or ""))

    def to_json(self) -> dict:
        """The JSON object of one line of a predictions file (the DESIGN.md fields, then what is set)."""
        obj = {name: getattr(self, name) for name in RECORD_FIELDS}
        if self.prompt_style:
            obj["prompt_style"] = self.prompt_style
        if self.benchmark:
            obj["benchmark"] = self.benchmark
        return obj


def _problem(obj: Any) -> str | None:
    """Why a JSON value is not a prediction record that can be scored (None: it is one)."""
    if not isinstance(obj, dict):
        return f"a prediction record is a JSON object, got {type(obj).__name__}"
    missing = [k for k in RECORD_FIELDS if k not in obj]
    if missing:
        return f"prediction record lacks {missing}"
    if not isinstance(obj["options"], dict) or not isinstance(obj["gold_answer"], list):
        return "'options' must be an object and 'gold_answer' a list of letters"
    if obj["mode"] not in PREDICTION_MODES:
        return f"mode must be answer or rationale, got {obj['mode']!r}"
    if not isinstance(obj["output"], str):
        return "'output' must be a string"
    if obj["gold_rationale"] is not None and not isinstance(obj["gold_rationale"], str):
        return "'gold_rationale' must be a string"
    if not obj["gold_answer"] or any(letter not in obj["options"] for letter in obj["gold_answer"]):
        return f"gold_answer {obj['gold_answer']} is not a non-empty list of option keys {sorted(obj['options'])}"
    try:
        resolve(str(obj["language"]))
    except (KeyError, ValueError):
        return f"unknown language {obj['language']!r} (a MMedBench language name such as 'English', or its code)"
    return None


# ---------------------------------------------------------------------------------------------- reading


def prediction_files(path: Path) -> list[Path]:
    if path.is_file():
        return [path]
    if not path.is_dir():
        raise FileNotFoundError(f"predictions not found: {path}")
    files = sorted(path.glob("predictions*.jsonl"))
    if not files:
        raise FileNotFoundError(f"{path}: no predictions*.jsonl files")
    return files


def load_predictions(path: Path, on_bad_record: str, rejects: RejectLog, seen: set | None = None
                     ) -> tuple[list[Prediction], int]:
    """Valid records of a file or folder, first copy of each (question, mode); returns (records, duplicates).
    A question is its id without the line number (common.mmedbench.question_key), so one question predicted under
    two line numbers counts once. `seen` carries the keys already loaded for the same model from its other paths."""
    records, duplicates = [], 0
    seen = set() if seen is None else seen
    for file in prediction_files(path):
        for where, obj in iter_jsonl(file, on_bad_record, rejects):
            try:
                rec = Prediction.from_json(obj, where)
            except BadRecordError as err:
                handle_bad_record(where, err.reason, obj, on_bad_record, rejects)
                continue
            if rec.key in seen:
                duplicates += 1
                continue
            seen.add(rec.key)
            records.append(rec)
    return records, duplicates


# ---------------------------------------------------------------------------------------------- naming models


_MODEL_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+-]*")


def split_model_spec(spec: str) -> tuple[str, Path]:
    """'name=path' or 'path' (named after its folder). A name becomes a folder under --output: plain characters only."""
    if "=" in spec and not Path(spec).exists():
        name, path = spec.split("=", 1)
        name, path = name.strip(), Path(path)
    else:
        path = Path(spec)
        name = (path.name if path.is_dir() else path.parent.name) or path.stem
    if not _MODEL_NAME.fullmatch(name):
        raise UserError(f"model name {name!r} (from {spec!r}) must be letters, digits and ._+- (it names a folder "
                        "under --output); write name=path")
    return name, path


def gather_prediction_args(argv: list[str]) -> list[str]:
    """Let `--predictions a name=b c` (several values) through load_config as one comma-joined list."""
    out, i = [], 0
    while i < len(argv):
        if argv[i] == "--predictions":
            j = i + 1
            while j < len(argv) and not argv[j].startswith("--"):
                j += 1
            out += ["--predictions", ",".join(argv[i + 1:j])]
            i = j
        else:
            out.append(argv[i])
            i += 1
    return out
