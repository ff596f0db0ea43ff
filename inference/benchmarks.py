"""English medical benchmarks (the paper's Table 3) in the formats users have on disk, as one question record.

    medqa     MedQA-USMLE 4-option JSONL: {"question", "options": {"A".."D"}, "answer_idx": "C", ...}
    medmcqa   MedMCQA JSON lines: {"question", "opa", "opb", "opc", "opd", "cop": 1..4 (original files;
              `cop_base: 0` for the 0..3 of the HF copy), "exp"}
    pubmedqa  PubMedQA ori_pqal.json: {pmid: {"QUESTION", "CONTEXTS": [...], "final_decision": yes|no|maybe,
              "LONG_ANSWER"}}; options A yes, B no, C maybe; the contexts go before the question
    mmlu      MMLU CSVs without header (question, A, B, C, D, answer), one `<subject>_test.csv` per subject;
              the six medical subjects by default

`load_benchmark` also takes the multilingual benchmarks (xmedbench, medexpqa, kormedmcqa, global_mmlu, mmlu_prox;
`<name>:<code>` for one language): inference/multilingual_benchmarks.py reads them.

Every loader yields `common.questions.Question`s (as MMedBench's loader does), with ids `<Benchmark>-<line>-<digest>`
(`MMLU-<subject>-<row>-<digest>`; `PubMedQA-<pmid>`, a PMID names its content): the digest of the question's content
lets a rerun recognise it wherever it moved (common.mmedbench.question_key). Bad records follow `on_bad_record` (error with file and line, or
skip into the reject log).
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator
from pathlib import Path

from common.mmedbench import ContentIds, normalise_answer
from common.questions import Question
from common.records import RejectLog, handle_bad_record, iter_jsonl
from inference import multilingual_benchmarks as multi
from inference.multilingual_benchmarks import MMLU_MEDICAL_SUBJECTS

BENCHMARKS = ("medqa", "medmcqa", "pubmedqa", "mmlu")
BENCHMARK_TITLES = {"medqa": "MedQA", "medmcqa": "MedMCQA", "pubmedqa": "PubMedQA", "mmlu": "MMLU"}
PUBMEDQA_OPTIONS = {"A": "yes", "B": "no", "C": "maybe"}


def _content(question: str, options: dict, answer: list, rationale: str = "") -> dict:
    return {"question": question, "options": options, "answer": answer, "rationale": rationale}


def _options_dict(raw: dict, where: str) -> dict[str, str]:
    options = raw.get("options")
    if isinstance(options, list):  # some MedQA copies: [{"key": "A", "value": "..."}]
        options = {o.get("key"): o.get("value") for o in options if isinstance(o, dict)}
    if not isinstance(options, dict) or len(options) < 2:
        raise ValueError("'options' must be an object of at least two letter keys")
    for key, text in options.items():
        if not isinstance(key, str) or len(key) != 1 or not key.isupper():
            raise ValueError(f"option key {key!r} is not a capital letter")
        if not isinstance(text, str) or not text.strip():
            raise ValueError(f"option {key} has no text")
    return {k: options[k] for k in sorted(options)}


def _question_text(raw: dict, key: str = "question") -> str:
    text = raw.get(key)
    if not isinstance(text, str) or not text.strip():
        raise ValueError(f"{key!r} must be a non-empty string")
    return text.strip()


def load_medqa(path: Path, on_bad_record: str = "error", rejects: RejectLog | None = None) -> Iterator[Question]:
    ids = ContentIds()
    for where, raw in iter_jsonl(path, on_bad_record, rejects):
        try:
            options = _options_dict(raw, where)
            if "answer_idx" not in raw:
                raise ValueError("'answer_idx' is missing")
            answer = normalise_answer(raw["answer_idx"])
            if any(a not in options for a in answer):
                raise ValueError(f"answer_idx {raw['answer_idx']!r} is not among the options {sorted(options)}")
            question = _question_text(raw)
            yield Question(id=ids.make("MedQA", where.rsplit(":", 1)[1], _content(question, options, answer)),
                           language="English", question=question, options=options, gold_answer=answer,
                           benchmark="medqa", where=where)
        except ValueError as err:
            handle_bad_record(where, str(err), raw, on_bad_record, rejects)


def _medmcqa_answer(cop: object, cop_base: int) -> str:
    letters = "ABCD"
    if isinstance(cop, str) and cop.strip().upper() in letters and len(cop.strip()) == 1:
        return cop.strip().upper()
    if isinstance(cop, bool) or not isinstance(cop, int) or not cop_base <= cop < cop_base + 4:
        raise ValueError(f"'cop' must be an option number {cop_base}..{cop_base + 3} (cop_base={cop_base}), "
                         f"got {cop!r}")
    return letters[cop - cop_base]


def load_medmcqa(path: Path, on_bad_record: str = "error", rejects: RejectLog | None = None,
                 cop_base: int = 1) -> Iterator[Question]:
    ids = ContentIds()
    for where, raw in iter_jsonl(path, on_bad_record, rejects):
        try:
            options = {}
            for letter, key in zip("ABCD", ("opa", "opb", "opc", "opd")):
                text = raw.get(key)
                if not isinstance(text, str) or not text.strip():
                    raise ValueError(f"option {key!r} is missing or empty")
                options[letter] = text.strip()
            answer = [_medmcqa_answer(raw.get("cop"), cop_base)]
            rationale = raw.get("exp") if isinstance(raw.get("exp"), str) else ""
            question = _question_text(raw)
            qid = ids.make("MedMCQA", where.rsplit(":", 1)[1], _content(question, options, answer, rationale))
            yield Question(id=qid, language="English", question=question, options=options, gold_answer=answer,
                           gold_rationale=rationale, benchmark="medmcqa", where=where)
        except ValueError as err:
            handle_bad_record(where, str(err), raw, on_bad_record, rejects)


def _read_json(path: Path):
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as err:
        raise ValueError(f"{path}:{err.lineno}: invalid JSON ({err.msg})") from None


def load_pubmedqa(path: Path, on_bad_record: str = "error", rejects: RejectLog | None = None,
                  ids_file: str | Path = "") -> Iterator[Question]:
    """`ids_file`: keep only these PMIDs, e.g. test_ground_truth.json (the 500 test PMIDs) or a JSON list."""
    data = _read_json(path)
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected an object of PMID -> item (ori_pqal.json)")
    if ids_file:
        wanted = {str(k) for k in _read_json(Path(ids_file))}
        missing = wanted - set(data)
        if missing:
            raise ValueError(f"{ids_file}: {len(missing)} PMIDs are not in {path}, e.g. {sorted(missing)[0]}")
        data = {k: v for k, v in data.items() if k in wanted}
    by_letter = {v: k for k, v in PUBMEDQA_OPTIONS.items()}
    for pmid, item in data.items():
        where = f"{path}:{pmid}"
        try:
            if not isinstance(item, dict):
                raise ValueError("item is not an object")
            question = _question_text(item, "QUESTION")
            contexts = item.get("CONTEXTS", [])
            if not isinstance(contexts, list) or not all(isinstance(c, str) for c in contexts):
                raise ValueError("'CONTEXTS' must be a list of strings")
            decision = item.get("final_decision")
            if decision not in by_letter:
                raise ValueError(f"'final_decision' must be yes, no or maybe, got {decision!r}")
            text = ("Context: " + " ".join(c.strip() for c in contexts) + "\nQuestion: " + question
                    if contexts else question)
            long_answer = item.get("LONG_ANSWER") if isinstance(item.get("LONG_ANSWER"), str) else ""
            yield Question(id=f"PubMedQA-{pmid}", language="English", question=text,
                           options=dict(PUBMEDQA_OPTIONS), gold_answer=[by_letter[decision]],
                           gold_rationale=long_answer,
                           benchmark="pubmedqa", where=where)
        except ValueError as err:
            handle_bad_record(where, str(err), item, on_bad_record, rejects)


def mmlu_files(path: Path, subjects: Iterable[str]) -> list[tuple[str, Path]]:
    """(subject, csv) pairs: `path` is one CSV or a dir searched for `<subject>_test.csv`."""
    if path.is_file():
        return [(path.stem.removesuffix("_test"), path)]
    found = []
    for subject in subjects:
        matches = sorted(path.rglob(f"{subject}_test.csv"))
        if not matches:
            raise FileNotFoundError(f"{path}: no {subject}_test.csv for the MMLU subject {subject!r}")
        found.append((subject, matches[0]))
    return found


def load_mmlu(path: Path, on_bad_record: str = "error", rejects: RejectLog | None = None,
              subjects: Iterable[str] = MMLU_MEDICAL_SUBJECTS) -> Iterator[Question]:
    for subject, csv_path in mmlu_files(path, subjects):
        ids = ContentIds()
        with open(csv_path, encoding="utf-8", newline="") as f:
            for row_no, row in enumerate(csv.reader(f), start=1):
                where = f"{csv_path}:{row_no}"
                try:
                    if len(row) != 6:
                        raise ValueError(f"expected 6 columns (question, A, B, C, D, answer), got {len(row)}")
                    if any(not cell.strip() for cell in row[:5]):
                        raise ValueError("empty question or option")
                    answer = row[5].strip().upper()
                    if answer not in ("A", "B", "C", "D"):
                        raise ValueError(f"answer must be A, B, C or D, got {row[5]!r}")
                    options = dict(zip("ABCD", (c.strip() for c in row[1:5])))
                    qid = ids.make(f"MMLU-{subject}", row_no, _content(row[0].strip(), options, [answer]))
                    yield Question(id=qid, language="English", question=row[0].strip(), options=options,
                                   gold_answer=[answer], benchmark=f"mmlu/{subject}", where=where)
                except ValueError as err:
                    handle_bad_record(where, str(err), row, on_bad_record, rejects)


def load_benchmark(name: str, path: str | Path, on_bad_record: str = "error", rejects: RejectLog | None = None,
                   mmlu_subjects: Iterable[str] = MMLU_MEDICAL_SUBJECTS, medmcqa_cop_base: int = 1,
                   pubmedqa_ids_file: str | Path = "") -> list[Question]:
    """All questions of one benchmark file (or MMLU dir)."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"benchmark data not found: {path}")
    if name == "medqa":
        return list(load_medqa(path, on_bad_record, rejects))
    if name == "medmcqa":
        return list(load_medmcqa(path, on_bad_record, rejects, cop_base=medmcqa_cop_base))
    if name == "pubmedqa":
        return list(load_pubmedqa(path, on_bad_record, rejects, ids_file=pubmedqa_ids_file))
    if name == "mmlu":
        return list(load_mmlu(path, on_bad_record, rejects, subjects=mmlu_subjects))
    if name.split(":")[0] in multi.SPECS:  # "xmedbench", or one language "xmedbench:zh" (inference.suite)
        return multi.load_spec(name, path, on_bad_record, rejects)
    raise ValueError(f"unknown benchmark {name!r}; known: {', '.join(BENCHMARKS)}, {', '.join(multi.SPECS)}")


def table3_column(benchmark: str) -> str:
    """Column name of a benchmark in the Table-3 layout: 'MedQA', 'MMLU-Anatomy', ..."""
    if benchmark.startswith("mmlu/"):
        return "MMLU-" + benchmark.split("/", 1)[1].replace("_", " ").title()
    return BENCHMARK_TITLES.get(benchmark, benchmark)


TABLE3_COLUMNS = ("MedQA", "MedMCQA", "PubMedQA", *(table3_column(f"mmlu/{s}") for s in MMLU_MEDICAL_SUBJECTS),
                  "MMLU Avg")
