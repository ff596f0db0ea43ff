"""Bad input to inference.generate and inference.evaluate, as a user gives it: each case is either a one-line error
naming the file, line, key or flag (exit 2, nothing already written lost), a counted reject (exit 0), or a failed
item listed in errors.jsonl while the others are written (exit 1)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest
import yaml
from cli_helpers import one_line_error as _one_line_error

from common.cli import cli
from common.mmedbench import question_key
from common.records import read_jsonl
from inference import evaluate, generate
from inference.backends import HFBackend

GEN = "python -m inference.generate"
EVAL = "python -m inference.evaluate"


@pytest.fixture()
def data(samples_dir, tmp_path):
    """A Test/ folder with the first four English sample questions."""
    lines = (samples_dir / "mmedbench" / "Test" / "English.jsonl").read_text(encoding="utf-8").splitlines()[:4]
    folder = tmp_path / "Test"
    folder.mkdir()
    (folder / "English.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


def _gen(tiny_model_dir, data, out, *extra) -> int:
    return cli(generate.main, GEN, ["--model", str(tiny_model_dir), "--data", str(data), "--output", str(out),
                                    "--modes", "answer", "--max_new_tokens", "2", "--batch_size", "4", "--dtype",
                                    "float32", "--device", "cpu", "--progress", "false", *extra])


def _english(data):
    return data / "English.jsonl"


def _insert(path, index: int, line: str) -> None:
    lines = path.read_text(encoding="utf-8").splitlines()
    lines.insert(index, line)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _question(text: str, answer: str = "A") -> str:
    return json.dumps({"question": text, "options": {"A": "yes", "B": "no"}, "answer_idx": answer,
                       "rationale": "r", "human_checked": 0, "human_check_passed": 0})


# ---------------------------------------------------------------------------------------------- generate: user errors


USER_ERRORS = {
    "missing model dir": (lambda t: ["--model", str(t / "no-such-model")], ["no-such-model"]),
    "bad flag value": (lambda t: ["--batch_size", "many"], ["command line: --batch_size", "integer"]),
    "unknown key in the config file": (
        lambda t: ["--config", str(_yaml(t, {"max_new_tokenz": 2}))], ["gen.yaml", "max_new_tokenz"]),
    "output folder is a file": (lambda t: ["--output", str(_file(t / "taken"))], ["taken", "is a file"]),
    "invalid JSON line": (lambda t: _data_with(t, 2, "{not json"), ["English.jsonl:3", "invalid JSON"]),
    "gold letter not an option": (lambda t: _data_with(t, 0, _question("Q?", "E")), ["English.jsonl:1", "'E'"]),
    "missing data folder": (lambda t: ["--data", str(t / "nowhere")], ["nowhere"]),
    "bad on_mismatch": (lambda t: ["--on_mismatch", "merge"], ["on_mismatch", "'merge'"]),
    "negative limit": (lambda t: ["--limit", "-3"], ["command line: --limit: must be >= 0, got -3"]),
    "a key given twice in the config file": (lambda t: ["--config", str(_text(t / "gen.yaml", "limit: 1\nlimit: 2\n"))],
                                             ["gen.yaml:2", "key 'limit' is given twice"]),
    "negative max_new_tokens": (lambda t: ["--max_new_tokens", "-5"], ["command line: --max_new_tokens", "-5"]),
    "unknown device": (lambda t: ["--device", "tpu"], ["key 'device'", "'tpu'"]),
    "language file is a dangling link": (lambda t: _dangling(t / "Test" / "French.jsonl"),
                                         ["French.jsonl", "does not exist"]),
}


def _text(path, text: str):
    path.write_text(text, encoding="utf-8")
    return path


def _dangling(path) -> list[str]:
    path.symlink_to(path.parent / "gone.jsonl")
    return []


def _yaml(tmp_path, data) -> object:
    path = tmp_path / "gen.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def _file(path):
    path.write_text("x", encoding="utf-8")
    return path


def _data_with(tmp_path, index: int, line: str) -> list[str]:
    _insert(tmp_path / "Test" / "English.jsonl", index, line)
    return []


@pytest.mark.parametrize("case", list(USER_ERRORS))
def test_generate_user_errors_are_one_line(case, tiny_model_dir, data, tmp_path, capsys):
    extra, fragments = USER_ERRORS[case]
    argv = extra(tmp_path)
    out = tmp_path / "preds"
    assert _gen(tiny_model_dir, data, out, *argv) == 2
    _one_line_error(capsys, GEN, *fragments)
    assert not (out / "predictions.jsonl").exists() or not read_jsonl(out / "predictions.jsonl")


def test_generate_bad_records_skipped_are_counted_not_dropped(tiny_model_dir, data, tmp_path):
    _insert(_english(data), 1, "{not json")
    _insert(_english(data), 3, _question("Q?", "E"))
    out = tmp_path / "preds"
    assert _gen(tiny_model_dir, data, out, "--on_bad_record", "skip") == 0
    rejects = read_jsonl(out / "rejects.jsonl")
    assert [r["where"].rsplit(":", 1)[1] for r in rejects] == ["2", "4"]
    assert len(read_jsonl(out / "predictions.jsonl")) == 4
    assert json.loads((out / "manifest.json").read_text())["counts"]["rejected"] == 2


def test_generate_over_long_prompts_are_rejected_and_the_rest_generated(tiny_model_dir, data, tmp_path):
    """A 5 MB question (rejected on its length alone) and one of ~30K characters (over the context in tokens)."""
    _insert(_english(data), 1, _question("cardiac " * 640_000))
    _insert(_english(data), 3, _question(" ".join(f"w{i}" for i in range(6000))))
    out = tmp_path / "preds"
    assert _gen(tiny_model_dir, data, out) == 0
    assert len(read_jsonl(out / "predictions.jsonl")) == 4
    rejects = read_jsonl(out / "rejects.jsonl")
    assert [r["where"].rsplit(":", 1)[1] for r in rejects] == ["2", "4"]
    assert "characters is longer than the limit of 4094 tokens" in rejects[0]["reason"]
    assert "tokens is longer than the limit of 4094 tokens" in rejects[1]["reason"]
    counts = json.loads((out / "manifest.json").read_text())["counts"]
    assert counts["rejected_too_long"] == 2 and counts["written"] == 4


# ---------------------------------------------------------------------------------------------- generate: resume


def test_an_inserted_line_neither_shifts_nor_duplicates_questions(tiny_model_dir, data, tmp_path):
    out = tmp_path / "preds"
    assert _gen(tiny_model_dir, data, out) == 0
    path = out / "predictions.jsonl"
    first = read_jsonl(path)
    _insert(_english(data), 0, _question("Which organ makes insulin?"))
    assert _gen(tiny_model_dir, data, out) == 0
    after = read_jsonl(path)
    assert after[:4] == first  # nothing regenerated
    keys = [question_key(r["id"]) for r in after]
    assert len(after) == 5 and len(set(keys)) == 5
    assert after[4]["id"].startswith("English-test-1-")
    assert json.loads((out / "manifest.json").read_text())["counts"]["skipped_done"] == 4


def test_other_data_or_other_settings_are_an_error_not_a_mix(tiny_model_dir, data, samples_dir, tmp_path, capsys):
    out = tmp_path / "preds"
    assert _gen(tiny_model_dir, data, out) == 0
    path = out / "predictions.jsonl"
    before = path.read_text(encoding="utf-8")
    other = tmp_path / "Other"
    other.mkdir()
    shutil.copy(samples_dir / "mmedbench" / "Test" / "French.jsonl", other / "English.jsonl")
    assert _gen(tiny_model_dir, other, out) == 2
    _one_line_error(capsys, GEN, "predictions.jsonl", "not in the data", "--on_mismatch redo")
    assert _gen(tiny_model_dir, data, out, "--prompt_style", "structured") == 2
    _one_line_error(capsys, GEN, "prompt_style: 'mmedlm' -> 'structured'")
    assert _gen(tiny_model_dir, data, out, "--max_new_tokens", "3") == 2
    _one_line_error(capsys, GEN, "max_new_tokens: 2 -> 3")
    assert path.read_text(encoding="utf-8") == before  # nothing already written was lost
    assert _gen(tiny_model_dir, other, out, "--on_mismatch", "redo") == 0
    redone = read_jsonl(path)
    assert len(redone) == 10 and all(r["gold_rationale"] for r in redone)
    assert not {question_key(r["id"]) for r in redone} & {question_key(json.loads(x)["id"]) for x in before.splitlines()}


def test_a_failing_prompt_fails_alone(tiny_model_dir, data, tmp_path, monkeypatch):
    """An error inside generation (here: a backend that cannot take one prompt) fails that item only."""
    _insert(_english(data), 2, _question("POISON: which organ makes insulin?"))
    real = HFBackend.generate

    def fragile(self, prompts):
        if any("POISON" in p for p in prompts):
            raise RuntimeError("CUDA error: device-side assert triggered")
        return real(self, prompts)

    monkeypatch.setattr(HFBackend, "generate", fragile)
    out = tmp_path / "preds"
    assert _gen(tiny_model_dir, data, out) == 1
    assert len(read_jsonl(out / "predictions.jsonl")) == 4
    errors = read_jsonl(out / "errors.jsonl")
    assert len(errors) == 1 and errors[0]["unit"].endswith("English.jsonl:3 (answer)")
    assert "device-side assert" in errors[0]["error"]
    assert json.loads((out / "manifest.json").read_text())["failed_units"] == [errors[0]["unit"]]


@pytest.mark.slow
def test_the_real_entry_point_prints_one_line_and_exits_2(repo_root, tmp_path):
    proc = subprocess.run([sys.executable, "-m", "inference.generate", "--batch_size", "many", "--output",
                           str(tmp_path / "o")], cwd=repo_root, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines()[-1] == (f"{GEN}: error: command line: --batch_size: expected an "
                                                    "integer, got 'many'")
    assert "Traceback" not in proc.stderr


# ---------------------------------------------------------------------------------------------- evaluate


def _pred(i, language="English", gold=("A",), output="###Answer: OPTION A IS CORRECT."):
    return {"id": f"{language}-test-{i}", "language": language, "mode": "answer", "options": {"A": "a", "B": "b"},
            "gold_answer": list(gold), "gold_rationale": "r", "human_check_passed": True, "prompt": "p",
            "output": output}


def _preds(tmp_path, records):
    path = tmp_path / "p.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def _eval(*argv) -> int:
    return cli(evaluate.main, EVAL, [*argv, "--bertscore", "false"])


@pytest.mark.parametrize("bad, fragment", [
    (_pred(2, language="Klingon"), "unknown language 'Klingon'"),
    (_pred(2, gold=("F",)), "gold_answer ['F'] is not"),
    ({"id": "x"}, "prediction record lacks"),
])
def test_evaluate_bad_records_are_one_line_or_counted(bad, fragment, tmp_path, capsys):
    path = _preds(tmp_path, [_pred(1, language="en"), bad])
    out = tmp_path / "eval"
    assert _eval("--predictions", f"m={path}", "--output", str(out)) == 2
    _one_line_error(capsys, EVAL, "p.jsonl:2", fragment)
    assert _eval("--predictions", f"m={path}", "--output", str(out), "--on_bad_record", "skip") == 0
    assert [r["where"].rsplit(":", 1)[1] for r in read_jsonl(out / "rejects.jsonl")] == ["2"]
    assert json.loads((out / "manifest.json").read_text())["counts"]["rejected"] == 1


def test_evaluate_failure_keeps_the_folder_and_names_the_problem(tmp_path, capsys):
    path = _preds(tmp_path, [_pred(1)])
    out = tmp_path / "eval"
    assert _eval("--predictions", f"m={path}", "--output", str(out)) == 0
    config_before = (out / "config.yaml").read_text(encoding="utf-8")
    assert _eval("--predictions", f"../../x={path}", "--output", str(out)) == 2
    _one_line_error(capsys, EVAL, "model name '../../x'")
    assert not (tmp_path.parent / "x").exists()
    assert _eval("--predictions", str(tmp_path / "missing"), "--output", str(out), "--metrics", "corrected") == 2
    _one_line_error(capsys, EVAL, "missing")
    assert (out / "config.yaml").read_text(encoding="utf-8") == config_before
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["status"] == "error" and "missing" in manifest["error"]


def _folder_bytes(folder) -> dict:
    """Every output file of a folder and its bytes (the run's own state under _run/ and the manifest aside)."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and "_run" not in p.parts and not p.name.startswith("manifest")}


def test_evaluate_rerun_with_a_lone_surrogate_names_the_record_and_changes_nothing(tmp_path, capsys):
    out = tmp_path / "eval"
    assert _eval("--predictions", f"m={_preds(tmp_path, [_pred(1), _pred(2)])}", "--output", str(out)) == 0
    before = _folder_bytes(out)
    bad = tmp_path / "b"
    bad.mkdir()
    path = _preds(bad, [_pred(1, output="###Answer: OPTION B IS CORRECT."), _pred(2, output="x\ud800")])
    assert "\\ud800" in path.read_text(encoding="utf-8")  # as JSON writes it: an escape, valid UTF-8
    assert _eval("--predictions", f"other={path}", "--output", str(out)) == 2
    _one_line_error(capsys, EVAL, "p.jsonl:2", "field 'output'", "lone surrogate")
    assert _folder_bytes(out) == before  # the first run's tables, records and results.md, all of them
    assert _eval("--predictions", f"other={path}", "--output", str(out), "--on_bad_record", "skip") == 0
    assert [r["where"] for r in read_jsonl(out / "rejects.jsonl")] == [f"{path}:2"]
    assert "other" in (out / "accuracy_metric.csv").read_text(encoding="utf-8")


def test_evaluate_failing_at_its_last_write_leaves_the_previous_outputs_whole(tmp_path, capsys, monkeypatch):
    """A run that dies while writing (here the plot, on a disk that fills up) changes no file of the folder; the
    next good run replaces them all and removes the ones it does not write (a model's folder of a 2-model run)."""
    import errno

    (tmp_path / "second").mkdir()
    first, second = _preds(tmp_path, [_pred(1), _pred(2)]), _preds(tmp_path / "second", [_pred(1, gold=("B",))])
    out = tmp_path / "cmp"
    assert _eval("--predictions", f"a={first}", f"b={second}", "--output", str(out)) == 0
    before = _folder_bytes(out)
    assert {"a/records.jsonl", "b/records.jsonl", "results.md", "accuracy.png"} <= set(before)

    def full_disk(path, *args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(evaluate, "plot_accuracy", full_disk)
    assert _eval("--predictions", f"a={second}", "--output", str(out)) == 2
    _one_line_error(capsys, EVAL, "No space left on device")
    assert _folder_bytes(out) == before
    monkeypatch.undo()
    assert _eval("--predictions", f"a={second}", "--output", str(out)) == 0
    after = _folder_bytes(out)
    assert "records.jsonl" in after and not any(name.startswith(("a/", "b/")) for name in after)
    assert not (out / "_run" / "staging").exists()
