"""The prediction record (inference.predictions.Prediction): what generation writes is what evaluation reads, field
for field (DESIGN.md "Records"), and a line that is not a record is one error naming its file and line, when
evaluating and when a generation run resumes alike."""

from __future__ import annotations

import json

from cli_helpers import one_line_error

from common.cli import cli
from common.questions import Question
from common.records import BadRecordError
from inference import generate
from inference.predictions import RECORD_FIELDS, Prediction

GEN = "python -m inference.generate"


def _generate(tiny_model_dir, samples_dir, out) -> int:
    return cli(generate.main, GEN, ["--model", str(tiny_model_dir), "--data", str(samples_dir / "mmedbench" / "Test"),
                                    "--languages", "en", "--limit", "3", "--output", str(out), "--modes",
                                    "answer", "--max_new_tokens", "2", "--dtype", "float32", "--device", "cpu",
                                    "--progress", "false"])


def test_generated_records_read_back_field_for_field(tiny_model_dir, samples_dir, tmp_path):
    assert _generate(tiny_model_dir, samples_dir, tmp_path / "out") == 0
    lines = (tmp_path / "out" / "predictions.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) == 3
    for number, line in enumerate(lines, start=1):
        obj = json.loads(line)
        assert list(obj) == [*RECORD_FIELDS, "prompt_style"]  # the DESIGN.md fields, in order; no benchmark
        assert Prediction.from_json(obj, f"predictions.jsonl:{number}").to_json() == obj


def test_a_benchmark_record_keeps_its_benchmark_and_a_language_code_reads_as_its_name():
    q = Question("MedQA-1-0a1b2c3d", "English", "Which nerve?", {"A": "Radial", "B": "Axillary"}, ["B"],
                 benchmark="medqa")
    obj = Prediction.from_question(q, "answer", "prompt", "###Answer: OPTION B IS CORRECT.", "mmedlm").to_json()
    assert list(obj) == [*RECORD_FIELDS, "prompt_style", "benchmark"] and obj["gold_answer"] == ["B"]
    back = Prediction.from_json({**obj, "language": "en"}, "predictions.jsonl:1")
    assert back.language == "English" and back.benchmark == "medqa" and back.gold_rationale == ""


def test_a_record_that_cannot_be_scored_names_its_line():
    good = Prediction.from_question(Question("x-1", "English", "Q?", {"A": "a", "B": "b"}, ["A"]), "rationale",
                                    "p", "o", "mmedlm").to_json()
    for broken, reason in [({**good, "mode": "both"}, "mode must be answer or rationale"),
                           ({**good, "gold_answer": ["C"]}, "gold_answer ['C'] is not"),
                           ({**good, "output": None}, "'output' must be a string"),
                           ([good], "a prediction record is a JSON object")]:
        try:
            Prediction.from_json(broken, "preds.jsonl:7")
        except BadRecordError as err:
            assert str(err).startswith("preds.jsonl:7: ") and reason in str(err)
        else:
            raise AssertionError(f"accepted {broken!r}")


def test_resume_names_a_broken_line_in_its_own_predictions(tiny_model_dir, samples_dir, tmp_path, capsys):
    out = tmp_path / "out"
    assert _generate(tiny_model_dir, samples_dir, out) == 0
    path = out / "predictions.jsonl"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines.insert(1, json.dumps({"id": json.loads(lines[0])["id"], "mode": "answer"}))  # a hand-edited line
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    capsys.readouterr()
    assert _generate(tiny_model_dir, samples_dir, out) == 2
    one_line_error(capsys, GEN, "predictions.jsonl:2", "prediction record lacks")
    assert path.read_text(encoding="utf-8").splitlines() == lines  # nothing written over or lost
