"""The multilingual medical benchmarks that followed the paper, read from their published files into `Question`s.

    xmedbench    XMedBench (Apollo): <root>/test/<code>.json, a JSON list of {"question", "options": "(A) x\\n(B) y",
                 "answer": "(C)", "source"}; en zh es fr ar hi
    medexpqa     MedExpQA: <root>/data/<code>/<split>.<code>.casimedicos*.jsonl, JSON lines of {"full_question",
                 "options": {"1".."5"} (null when absent), "correct_option": 1..5, "explanations": {"1": {"text", ...}},
                 "full_answer", "full_answer_no_ref", ...}; en es fr it. The doctors' explanation is the rationale
    kormedmcqa   KorMedMCQA: <root>/<subset>/<split>-*.parquet (subset doctor | nurse | pharm | dentist), columns
                 question, A..E, answer (1..5), cot; Korean
    global_mmlu  Global-MMLU: <root>/<code>/<split>-*.parquet, columns question, option_a..option_d, answer "A".."D",
                 subject, cultural_sensitivity_label (CS | CA | ""); the medical subjects only (default: MMLU's six)
    mmlu_prox    MMLU-ProX: <root>/<code>/<split>-*.parquet, columns question, option_0..option_9 (None past the
                 last option), answer "A".."J", category; the `health` category by default

Every question becomes the project's one record (`common.questions.Question`): `language` is the language's
name (common.languages), `benchmark` is `<name>/<subset>` (`kormedmcqa/doctor`, `global_mmlu/anatomy`,
`mmlu_prox/health`) or `<name>`, the id `<Title>-<code>-<line>-<digest>` (a digest of the content, as every other
benchmark id: a rerun recognises a question wherever it moved). A record that cannot be used names its file and
line (parquet: row) and follows `on_bad_record` (error, or skip into the reject log, counted); a file that is not
there is one line naming the path that was looked for.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, get_args

from common.languages import resolve
from common.mmedbench import ContentIds
from common.questions import Question
from common.records import BadRecordError, RejectLog, handle_bad_record, iter_jsonl, iter_parquet

LETTERS = "ABCDEFGHIJ"
# MMLU's six medical subjects: Global-MMLU's default here, and the English MMLU's (inference.benchmarks, which
# reads the multilingual benchmarks through this module)
MMLU_MEDICAL_SUBJECTS = ("clinical_knowledge", "medical_genetics", "anatomy", "professional_medicine",
                         "college_biology", "college_medicine")


@dataclass(frozen=True)
class BenchmarkSpec:
    """What the suite needs to know about a benchmark: its title, languages, subsets and default filter."""

    name: str
    title: str
    languages: tuple[str, ...]  # ISO codes of the published files
    subsets: tuple[str, ...] = ()  # KorMedMCQA's exams; others: their subject/category filter
    has_rationale: bool = False


SPECS: dict[str, BenchmarkSpec] = {
    "xmedbench": BenchmarkSpec("xmedbench", "XMedBench", ("en", "zh", "es", "fr", "ar", "hi")),
    "medexpqa": BenchmarkSpec("medexpqa", "MedExpQA", ("en", "es", "fr", "it"), has_rationale=True),
    "kormedmcqa": BenchmarkSpec("kormedmcqa", "KorMedMCQA", ("ko",), ("doctor", "nurse", "pharm", "dentist")),
    "global_mmlu": BenchmarkSpec("global_mmlu", "Global-MMLU", (), MMLU_MEDICAL_SUBJECTS),
    "mmlu_prox": BenchmarkSpec("mmlu_prox", "MMLU-ProX", (), ("health",)),
}
MultilingualBenchmark = Literal["xmedbench", "medexpqa", "kormedmcqa", "global_mmlu", "mmlu_prox"]  # a config type
MULTILINGUAL_BENCHMARKS: tuple[str, ...] = get_args(MultilingualBenchmark)
assert set(MULTILINGUAL_BENCHMARKS) == set(SPECS), "MultilingualBenchmark lists every spec"


def spec(name: str) -> BenchmarkSpec:
    try:
        return SPECS[name]
    except KeyError:
        raise ValueError(f"unknown benchmark {name!r}; known: {', '.join(SPECS)}") from None


# ---------------------------------------------------------------------------------------------- files


def _first_match(root: Path, patterns: Sequence[str]) -> list[Path]:
    for pattern in patterns:
        found = sorted(root.glob(pattern))
        if found:
            return found
    return []


def language_files(name: str, root: str | Path, code: str, split: str = "test") -> list[tuple[str, Path]]:
    """(subset, file) pairs of one language of a benchmark; a missing file is one line naming where it was
    looked for. `root` is the folder the benchmark was downloaded into (docs/benchmarks.md)."""
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"{name}: benchmark folder not found: {root}")
    if name == "kormedmcqa":
        pairs = [(subset, f) for subset in SPECS[name].subsets for f in _first_match(
            root, [f"{subset}/{split}-*.parquet", f"data/{subset}/{split}-*.parquet"])]
        if not pairs:
            raise FileNotFoundError(f"kormedmcqa: no {root}/<doctor|nurse|pharm|dentist>/{split}-*.parquet")
        return pairs
    patterns = {
        "xmedbench": [f"{split}/{code}.json", f"{code}.json"],
        "medexpqa": [f"data/{code}/{split}.{code}.casimedicos*.jsonl", f"{code}/{split}.{code}.casimedicos*.jsonl",
                     f"{split}.{code}.casimedicos*.jsonl"],
        "global_mmlu": [f"{code}/{split}-*.parquet", f"data/{code}/{split}-*.parquet"],
        "mmlu_prox": [f"{code}/{split}-*.parquet", f"data/{code}/{split}-*.parquet"],
    }[name]
    found = _first_match(root, patterns)
    if not found:
        raise FileNotFoundError(f"{name}: no file for language {code}: expected {root / patterns[0]}")
    return [("", f) for f in found]


def available_languages(name: str, root: str | Path) -> list[str]:
    """The language codes whose files are present under `root` (used when a suite names no languages)."""
    root = Path(root)
    if name == "kormedmcqa":
        return ["ko"]
    if name == "xmedbench":
        folder = root / "test" if (root / "test").is_dir() else root
        return sorted(p.stem for p in folder.glob("*.json"))
    folder = root / "data" if (root / "data").is_dir() else root
    return sorted(p.name for p in folder.iterdir() if p.is_dir()) if folder.is_dir() else []


# ---------------------------------------------------------------------------------------------- readers


def iter_json_list(path: Path) -> Iterator[tuple[str, object]]:
    """(file:line, item) for each item of a JSON list file (XMedBench's format); the line is where the item starts,
    so an error names it as a JSONL error would. A file that is not a JSON list is one line naming it."""
    text = path.read_text(encoding="utf-8-sig")
    decoder = json.JSONDecoder()
    pos = _skip(text, 0)
    if not text.startswith("[", pos):
        raise BadRecordError(str(path), "expected a JSON list of questions")
    pos = _skip(text, pos + 1)
    while pos < len(text) and text[pos] != "]":
        where = f"{path}:{text.count(chr(10), 0, pos) + 1}"
        try:
            item, pos = decoder.raw_decode(text, pos)
        except json.JSONDecodeError as err:
            raise BadRecordError(f"{path}:{err.lineno}", f"not valid JSON ({err.msg})") from None
        yield where, item
        pos = _skip(text, pos)
        if text.startswith(",", pos):
            pos = _skip(text, pos + 1)


def _skip(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in " \t\r\n":
        pos += 1
    return pos


def _rows(path: Path) -> Iterator[tuple[str, dict]]:
    """(where, row) of a parquet file with 1-based rows, so `file:row 1` is the first as `file:1` is in JSONL."""
    for where, row in iter_parquet(path):
        stem, number = where.rsplit("row ", 1)
        yield f"{stem}row {int(number) + 1}", row


def _text(raw: dict, key: str) -> str:
    value = raw.get(key)
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{key!r} must be a non-empty string")
    return value.strip()


def _gold(letter: str, options: dict[str, str], raw_value: object) -> list[str]:
    if letter not in options:
        raise ValueError(f"the answer {raw_value!r} is not among the options {sorted(options)}")
    return [letter]


_XMED_OPTION = re.compile(r"^\(([A-J])\)\s*(.*)$")


def _xmed_options(text: object) -> dict[str, str]:
    if not isinstance(text, str) or not text.strip():
        raise ValueError("'options' must be a string of lines '(A) ...'")
    options: dict[str, str] = {}
    for line in text.strip().split("\n"):
        m = _XMED_OPTION.match(line.strip())
        if not m or not m[2].strip():
            raise ValueError(f"option line {line.strip()[:40]!r} is not '(X) text'")
        if m[1] in options:
            raise ValueError(f"option {m[1]} is given twice")
        options[m[1]] = m[2].strip()
    if len(options) < 2:
        raise ValueError("fewer than two options")
    return options


def parse_xmedbench(raw: object) -> tuple[str, dict[str, str], list[str], str]:
    if not isinstance(raw, dict):
        raise ValueError("a question must be a JSON object")
    options = _xmed_options(raw.get("options"))
    answer = raw.get("answer")
    letter = answer.strip().strip("()").strip() if isinstance(answer, str) else ""
    return _text(raw, "question"), options, _gold(letter, options, answer), ""


def parse_medexpqa(raw: dict) -> tuple[str, dict[str, str], list[str], str]:
    opts = raw.get("options")
    if not isinstance(opts, dict):
        raise ValueError("'options' must be an object {\"1\": text, ...}")
    keys = sorted((k for k, v in opts.items() if v not in (None, "")), key=lambda k: int(k) if k.isdigit() else 99)
    if len(keys) < 2 or any(not k.isdigit() or not 1 <= int(k) <= 10 for k in keys):
        raise ValueError(f"'options' keys must be numbers 1..10 with at least two texts, got {sorted(opts)}")
    options = {LETTERS[int(k) - 1]: str(opts[k]).strip() for k in keys}
    correct = raw.get("correct_option")
    if isinstance(correct, bool) or not isinstance(correct, (int, str)) or not str(correct).isdigit():
        raise ValueError(f"'correct_option' must be an option number, got {correct!r}")
    gold = _gold(LETTERS[int(correct) - 1] if 1 <= int(correct) <= 10 else "?", options, correct)
    return _text(raw, "full_question"), options, gold, medexpqa_rationale(raw, str(correct))


def medexpqa_rationale(raw: dict, correct: str) -> str:
    """The doctors' explanation: `full_answer_no_ref` (the explanation without references to option numbers),
    else `full_answer`, else the correct option's own explanation."""
    for key in ("full_answer_no_ref", "full_answer"):
        if isinstance(raw.get(key), str) and raw[key].strip():
            return raw[key].strip()
    expl = (raw.get("explanations") or {}).get(correct) or {}
    return expl.get("text", "").strip() if isinstance(expl, dict) and isinstance(expl.get("text"), str) else ""


def parse_kormedmcqa(raw: dict) -> tuple[str, dict[str, str], list[str], str]:
    options = {k: _text(raw, k) for k in "ABCDE" if raw.get(k) not in (None, "")}
    if len(options) < 2:
        raise ValueError("fewer than two of the options A..E")
    answer = raw.get("answer")
    if isinstance(answer, bool) or not isinstance(answer, int) or not 1 <= answer <= 5:
        raise ValueError(f"'answer' must be an option number 1..5, got {answer!r}")
    cot = raw.get("cot") if isinstance(raw.get("cot"), str) else ""
    return _text(raw, "question"), options, _gold("ABCDE"[answer - 1], options, answer), (cot or "").strip()


def parse_global_mmlu(raw: dict) -> tuple[str, dict[str, str], list[str], str]:
    options = {k.upper(): _text(raw, f"option_{k}") for k in "abcd"}
    answer = raw.get("answer")
    letter = answer.strip().upper() if isinstance(answer, str) else ""
    return _text(raw, "question"), options, _gold(letter, options, answer), ""


def parse_mmlu_prox(raw: dict) -> tuple[str, dict[str, str], list[str], str]:
    options = {}
    for i in range(10):
        value = raw.get(f"option_{i}")
        if value is None or (isinstance(value, str) and value.strip() in ("", "N/A")):
            continue
        if not isinstance(value, str):
            raise ValueError(f"'option_{i}' must be a string or null")
        options[LETTERS[i]] = value.strip()
    if len(options) < 2:
        raise ValueError("fewer than two of option_0..option_9")
    answer = raw.get("answer")
    letter = answer.strip().upper() if isinstance(answer, str) else ""
    if not letter and isinstance(raw.get("answer_index"), int):
        letter = LETTERS[raw["answer_index"]] if 0 <= raw["answer_index"] < 10 else "?"
    cot = raw.get("cot_content") if isinstance(raw.get("cot_content"), str) else ""
    return _text(raw, "question"), options, _gold(letter, options, answer), (cot or "").strip()


PARSERS = {"xmedbench": parse_xmedbench, "medexpqa": parse_medexpqa, "kormedmcqa": parse_kormedmcqa,
           "global_mmlu": parse_global_mmlu, "mmlu_prox": parse_mmlu_prox}


# ---------------------------------------------------------------------------------------------- loading


def _records(name: str, path: Path, on_bad_record: str, rejects: RejectLog | None) -> Iterator[tuple[str, object]]:
    if name == "xmedbench":  # a JSON list as published; a JSON-lines copy is read too
        with open(path, encoding="utf-8-sig") as f:
            first = f.read(4096).lstrip()[:1]
        return iter_json_list(path) if first == "[" else iter_jsonl(path, on_bad_record, rejects)
    if name == "medexpqa":
        return iter_jsonl(path, on_bad_record, rejects)
    return _rows(path)


def _subset_of(name: str, raw: dict, subset: str) -> str:
    """The benchmark's subset of a record: KorMedMCQA's exam, Global-MMLU's subject, MMLU-ProX's category."""
    if name == "global_mmlu":
        return str(raw.get("subject") or "")
    if name == "mmlu_prox":
        return str(raw.get("category") or "")
    return subset


def load_language(name: str, root: str | Path, code: str, on_bad_record: str = "error",
                  rejects: RejectLog | None = None, subsets: Iterable[str] | None = None,
                  split: str = "test") -> list[Question]:
    """Every question of one language of a benchmark. `subsets`: Global-MMLU subjects / MMLU-ProX categories /
    KorMedMCQA exams to keep (None = the benchmark's default: the medical ones, or every exam)."""
    bench = spec(name)
    language = resolve(code).name
    wanted = set(bench.subsets if subsets is None else subsets)
    questions: list[Question] = []
    for subset, path in language_files(name, root, code, split):
        ids = ContentIds()
        for where, raw in _records(name, path, on_bad_record, rejects):
            part = _subset_of(name, raw, subset) if isinstance(raw, dict) else subset
            if wanted and part and part not in wanted:
                continue  # another subject or exam: not part of this suite (not a reject)
            try:
                question, options, gold, rationale = PARSERS[name](raw)
            except ValueError as err:
                handle_bad_record(where, str(err), raw, on_bad_record, rejects)
                continue
            content = {"question": question, "options": options, "answer": gold, "rationale": rationale}
            label = part.replace(" ", "_")  # MMLU-ProX's "computer science": ids hold no spaces
            qid = ids.make(f"{bench.title}-{code}{'-' + label if label else ''}", where.rsplit(":", 1)[1].split()[-1],
                           content)
            questions.append(Question(
                id=qid, language=language, question=question, options=options, gold_answer=gold,
                gold_rationale=rationale, human_check_passed=bench.has_rationale and bool(rationale),
                benchmark=f"{name}/{part}" if part else name, where=where))
    return questions


def cultural_labels(root: str | Path, code: str, split: str = "test") -> dict[str, str]:
    """Global-MMLU: question text -> its cultural sensitivity label (CS, CA, or "" when not annotated)."""
    labels = {}
    for _subset, path in language_files("global_mmlu", root, code, split):
        for _where, raw in _rows(path):
            if isinstance(raw.get("question"), str):
                labels[raw["question"].strip()] = str(raw.get("cultural_sensitivity_label") or "")
    return labels


def load_spec(spec_text: str, root: str | Path, on_bad_record: str = "error", rejects: RejectLog | None = None
              ) -> list[Question]:
    """The questions a benchmark spec names: `<name>` (every language present), `<name>:<code>` (one language) or
    `<name>:<code>:<subset>+<subset>` (chosen subjects / categories / exams). This is what `inference.generate
    --benchmark` takes, so one language of a benchmark is one generation run (inference.suite)."""
    name, _, rest = spec_text.partition(":")
    code, _, subset_text = rest.partition(":")
    subsets = subset_text.split("+") if subset_text else None
    codes = [code] if code else available_languages(name, root)
    if not codes:
        raise FileNotFoundError(f"{name}: no language files under {root} (docs/benchmarks.md)")
    return [q for c in codes for q in load_language(name, root, c, on_bad_record, rejects, subsets)]
