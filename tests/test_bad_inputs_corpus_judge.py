"""Bad input to data_collection.build_corpus, inference.judge and inference.lm_eval_tasks, as a user gives it: each
case is a one-line error naming the file, line, key or flag (exit 2, nothing already written lost), a counted
reject (exit 0), or a failed unit listed in errors.jsonl while the others are written (exit 1)."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import yaml
from cli_helpers import one_line_error as _one_line_error
from cli_helpers import write_placeholder as _file
from cli_helpers import write_yaml as _yaml
from judge_helpers import write_predictions

from common.cli import cli
from common.records import read_jsonl, write_jsonl
from data_collection import build_corpus
from data_collection.documents import write_document_shard
from inference import judge, lm_eval_tasks

CORPUS = "python -m data_collection.build_corpus"
JUDGE = "python -m inference.judge"
TASKS = "python -m inference.lm_eval_tasks"
TEXTS = ["Hypertension is treated with thiazide diuretics and ACE inhibitors; blood pressure is checked often.",
         "Asthma causes wheeze and cough at night; inhaled corticosteroids reduce airway inflammation.",
         "Type 2 diabetes is managed with metformin, diet and exercise, with HbA1c measured every three months.",
         "Influenza vaccination each autumn protects older adults from severe respiratory infection.",
         "Atrial fibrillation raises the risk of stroke; anticoagulation is weighed against bleeding risk."]


def _doc(i: int, **change) -> dict:
    return {"id": f"d{i}", "text": TEXTS[i], "lang": "en", "source": "web", "meta": {}, **change}


# ---------------------------------------------------------------------------------------------- build_corpus


@pytest.fixture()
def corpus_in(tmp_path) -> Path:
    inp = tmp_path / "in"
    write_document_shard(inp / "a.parquet", [_doc(0), _doc(1)])
    write_jsonl(inp / "b.jsonl", [_doc(2)])
    return inp


def _corpus(inp: Path, out: Path, tok: Path, *extra: str) -> int:
    return cli(build_corpus.main, CORPUS, [
        "--config", "configs/data_collection/build_corpus.yaml", "--input", str(inp), "--output", str(out),
        "--tokenizer", str(tok), "--progress", "false", "--plot", "false", "--langid", "off",
        "--min_chars", '{"default": 20}', *extra])


def _corpus_ids(out: Path) -> list[str]:
    return sorted(r["id"] for p in out.glob("*/part-*.parquet") for r in pq.read_table(p).to_pylist())


CORPUS_USER_ERRORS = {
    "bad flag value": (lambda t: ["--num_proc", "many"], ["command line: --num_proc", "integer"]),
    "unknown key in the config file": (
        lambda t: ["--config", str(_yaml(t / "c.yaml", {"min_charz": 3}))], ["c.yaml", "min_charz"]),
    "output folder is a file": (lambda t: ["--output", str(_file(t / "taken"))], ["taken", "is a file"]),
    "missing input": (lambda t: ["--input", str(t / "nowhere")], ["nowhere"]),
    "bad stage": (lambda t: ["--stage", "dedup"], ["command line: --stage: expected one of all, clean,", "'dedup'"]),
    "bad langid in the config file": (lambda t: ["--config", str(_yaml(t / "c.yaml", {"langid": "strict"}))],
                                      ["c.yaml: key 'langid': expected one of drop, keep, off; got 'strict'"]),
    "a band of no hashes": (lambda t: ["--minhash_hashes_per_bucket", "0"],
                            ["--minhash_hashes_per_bucket: must be at least 1, got 0"]),
    "bad language": (lambda t: ["--languages", "xx"], ["languages", "xx"]),
    "missing benchmark folder": (lambda t: ["--mmedbench_test", str(t / "no-test")], ["no-test"]),
    "whole run as an array task": (lambda t: ["--num_shards", "2", "--shard_index", "0"], ["--stage all"]),
    "a stage before the one it needs": (lambda t: ["--stage", "cluster"], ["not cleaned"]),
}


@pytest.mark.parametrize("case", list(CORPUS_USER_ERRORS))
def test_build_corpus_user_errors_are_one_line(case, corpus_in, tmp_path, tiny_model_dir, repo_root, monkeypatch,
                                               capsys):
    monkeypatch.chdir(repo_root)
    extra, fragments = CORPUS_USER_ERRORS[case]
    out = tmp_path / "out"
    assert _corpus(corpus_in, out, tiny_model_dir, *extra(tmp_path)) == 2
    _one_line_error(capsys, CORPUS, *fragments)
    assert not (out / "en").exists() and not (out / "_work" / "dedup").exists()


def test_build_corpus_bad_records_are_counted_rejects(corpus_in, tmp_path, tiny_model_dir, repo_root, monkeypatch):
    """Malformed JSON line, wrong field type, missing field, empty text, a lone surrogate: counted and listed, the
    rest kept."""
    monkeypatch.chdir(repo_root)
    write_jsonl(corpus_in / "c.jsonl", [_doc(3), {**_doc(4), "text": 123}, {"text": TEXTS[4], "lang": "en"},
                                        _doc(4, id="empty", text="")])
    with (corpus_in / "c.jsonl").open("a") as f:
        f.write("{not json\n")
        lone = json.dumps({**_doc(4, id="lone"), "text": TEXTS[4] + " \\ud800"})  # valid JSON, invalid Unicode
        f.write(lone.replace("\\\\ud800", "\\ud800") + "\n")
    out = tmp_path / "out"
    assert _corpus(corpus_in, out, tiny_model_dir) == 0
    assert _corpus_ids(out) == ["d0", "d1", "d2", "d3"]
    counts = json.loads((out / "manifest.json").read_text())["counts"]["clean"]
    assert (counts["docs_in"], counts["bad_records"], counts["too_short"]) == (3 + 6, 4, 1)  # "" is too short
    rejects = read_jsonl(out / "_work" / "cleaned" / "c.rejects.jsonl")
    assert sorted(r["where"].rsplit(":", 1)[1] for r in rejects) == ["2", "3", "5", "6"]
    assert "lone surrogate" in max(rejects, key=lambda r: r["where"])["reason"]


@pytest.mark.parametrize("bad", [b"PAR1 not really", b""], ids=["corrupt parquet", "empty parquet"])
def test_build_corpus_unreadable_shard_is_a_failed_unit_and_loses_nothing(bad, corpus_in, tmp_path, tiny_model_dir,
                                                                          repo_root, monkeypatch):
    monkeypatch.chdir(repo_root)
    out = tmp_path / "out"
    assert _corpus(corpus_in, out, tiny_model_dir) == 0
    before = {p: p.read_bytes() for p in out.glob("*/part-*.parquet")}
    (corpus_in / "z.parquet").write_bytes(bad)
    assert _corpus(corpus_in, out, tiny_model_dir) == 1
    errors = read_jsonl(out / "errors.jsonl")
    assert [e["unit"] for e in errors] == ["clean z.parquet"] and "z.parquet" in errors[0]["error"]
    assert {p: p.read_bytes() for p in out.glob("*/part-*.parquet")} == before  # the corpus already there is kept
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["failed_units"] == ["clean z.parquet"] and manifest["counts"]["units_failed"] == 1
    (corpus_in / "z.parquet").unlink()
    assert _corpus(corpus_in, out, tiny_model_dir) == 0 and not (out / "errors.jsonl").exists()


@pytest.mark.parametrize("flag, value, field", [("--min_chars", '{"default": 50}', "min_chars"),
                                                ("--shingle_size", "3", "shingle_size")],
                         ids=["cleaning setting", "dedup setting"])
def test_build_corpus_rerun_with_other_settings_is_an_error_or_a_redo(flag, value, field, corpus_in, tmp_path,
                                                                      tiny_model_dir, repo_root, monkeypatch,
                                                                      capsys):
    monkeypatch.chdir(repo_root)
    out = tmp_path / "out"
    assert _corpus(corpus_in, out, tiny_model_dir) == 0
    before = {p: p.read_bytes() for p in out.glob("*/part-*.parquet")}
    assert _corpus(corpus_in, out, tiny_model_dir, flag, value) == 2
    _one_line_error(capsys, CORPUS, field, "on_mismatch")
    assert {p: p.read_bytes() for p in out.glob("*/part-*.parquet")} == before
    assert yaml.safe_load((out / "config.yaml").read_text())[field] != yaml.safe_load(value)
    assert _corpus(corpus_in, out, tiny_model_dir, flag, value, "--on_mismatch", "redo") == 0
    assert yaml.safe_load((out / "config.yaml").read_text())[field] == yaml.safe_load(value)
    fresh = tmp_path / "fresh"
    assert _corpus(corpus_in, fresh, tiny_model_dir, flag, value) == 0
    assert _corpus_ids(out) == _corpus_ids(fresh)  # redone whole: the same as a run made with these settings
    assert json.loads((out / "stats.json").read_text())["languages"] == \
        json.loads((fresh / "stats.json").read_text())["languages"]


def test_build_corpus_tokenizer_changed_in_place_is_an_error_or_a_redo(corpus_in, tmp_path, tiny_model_dir,
                                                                      repo_root, monkeypatch, capsys):
    """Token counts depend on the tokenizer's files, not on its folder's name: the same folder with other files
    is a mismatch naming the file (or, with redo, counted again), never counts from two tokenizers."""
    monkeypatch.chdir(repo_root)
    tok = tmp_path / "tok"
    shutil.copytree(tiny_model_dir, tok)
    out = tmp_path / "out"
    assert _corpus(corpus_in, out, tok) == 0
    spec = json.loads((tok / "tokenizer.json").read_text(encoding="utf-8"))
    spec["model"]["merges"] = spec["model"]["merges"][:len(spec["model"]["merges"]) // 4]  # fewer merges: more tokens
    (tok / "tokenizer.json").write_text(json.dumps(spec), encoding="utf-8")
    assert _corpus(corpus_in, out, tok) == 2
    _one_line_error(capsys, CORPUS, "tokenizer.json")
    before = json.loads((out / "stats.json").read_text())["languages"]["en"]["tokens"]
    assert _corpus(corpus_in, out, tok, "--on_mismatch", "redo") == 0
    fresh = tmp_path / "fresh"
    assert _corpus(corpus_in, fresh, tok) == 0
    after = json.loads((out / "stats.json").read_text())["languages"]["en"]["tokens"]
    assert after == json.loads((fresh / "stats.json").read_text())["languages"]["en"]["tokens"] != before


def test_build_corpus_changed_input_is_an_error_and_an_added_one_is_picked_up(corpus_in, tmp_path, tiny_model_dir,
                                                                              repo_root, monkeypatch, capsys):
    monkeypatch.chdir(repo_root)
    out = tmp_path / "out"
    assert _corpus(corpus_in, out, tiny_model_dir) == 0
    write_jsonl(corpus_in / "c.jsonl", [_doc(3), _doc(4)])
    assert _corpus(corpus_in, out, tiny_model_dir) == 0
    assert _corpus_ids(out) == ["d0", "d1", "d2", "d3", "d4"]
    assert json.loads((out / "stats.json").read_text())["languages"]["en"]["docs"] == 5
    assert _corpus(Path(os.path.relpath(corpus_in)), out, tiny_model_dir) == 0  # the same inputs named otherwise
    write_jsonl(corpus_in / "b.jsonl", [_doc(2, text=TEXTS[2] + " Changed.")])
    assert _corpus(corpus_in, out, tiny_model_dir) == 2
    _one_line_error(capsys, CORPUS, "clean b.jsonl", "b.jsonl changed")
    assert _corpus_ids(out) == ["d0", "d1", "d2", "d3", "d4"]


def test_build_corpus_interrupted_between_stages_resumes_to_the_same_corpus(corpus_in, tmp_path, tiny_model_dir,
                                                                            repo_root, monkeypatch):
    """A run stopped after any stage (or with a finished unit's output lost) resumes to the corpus of a clean run."""
    monkeypatch.chdir(repo_root)
    whole = tmp_path / "whole"
    assert _corpus(corpus_in, whole, tiny_model_dir) == 0
    out = tmp_path / "out"
    for stage in ("clean", "signature", "buckets"):
        assert _corpus(corpus_in, out, tiny_model_dir, "--stage", stage) == 0
    assert not list(out.glob("*/part-*.parquet"))
    assert _corpus(corpus_in, out, tiny_model_dir) == 0
    parts = sorted(out.glob("en/part-*.parquet"))
    assert [p.read_bytes() for p in parts] == [p.read_bytes() for p in sorted(whole.glob("en/part-*.parquet"))]
    parts[0].unlink()  # as if killed while writing it
    assert _corpus(corpus_in, out, tiny_model_dir) == 0
    assert _corpus_ids(out) == _corpus_ids(whole)


# ---------------------------------------------------------------------------------------------- judge


@pytest.fixture()
def preds(samples_dir, tmp_path) -> list[str]:
    return write_predictions(samples_dir, tmp_path / "preds")


def _judge(*argv: str) -> int:
    return cli(judge.main, JUDGE, list(argv))


def _sheets(preds, out: Path, *extra: str) -> int:
    return _judge("sheets", "--predictions", *preds, "--per_language", "1", "--languages", "en", "--output", str(out),
                  *extra)


JUDGE_USER_ERRORS = {
    "unknown command": (lambda t, p: ["judgee", "--output", str(t / "o")], ["judgee"]),
    "bad flag value": (lambda t, p: ["sheets", "--predictions", *p, "--per_language", "many", "--output", str(t / "o")],
                       ["command line: --per_language", "integer"]),
    "unknown key in the config file": (
        lambda t, p: ["sheets", "--config", str(_yaml(t / "j.yaml", {"raterz": ["a"]})), "--output", str(t / "o")],
        ["j.yaml", "raterz"]),
    "output folder is a file": (lambda t, p: ["sheets", "--predictions", *p, "--output", str(_file(t / "taken"))],
                                ["taken", "is a file"]),
    "missing sheets": (lambda t, p: ["score", "--sheets", str(t / "none*.csv"), "--output", str(t / "o")], ["none*"]),
    "agreement without its folders": (lambda t, p: ["agreement", "--output", str(t / "o")], ["--human_scores"]),
    "missing predictions": (lambda t, p: ["sheets", "--predictions", f"x={t / 'nowhere'}", "--output", str(t / "o")],
                            ["nowhere"]),
    "a rater name that is a path": (
        lambda t, p: ["sheets", "--predictions", *p, "--raters", "../../../../x,r2", "--output", str(t / "o")],
        ["key 'raters'", "'../../../../x'"]),
    "one model's name given twice": (
        lambda t, p: ["sheets", "--predictions", *[f"a={s.split('=', 1)[1]}" for s in p[:2]], "--output", str(t / "o")],
        ["--predictions", "2 path(s) of 1 model(s) (a, a;", "merged"]),
}


@pytest.mark.parametrize("case", list(JUDGE_USER_ERRORS))
def test_judge_user_errors_are_one_line(case, preds, tmp_path, capsys):
    argv, fragments = JUDGE_USER_ERRORS[case]
    assert _judge(*argv(tmp_path, preds)) == 2
    _one_line_error(capsys, JUDGE, *fragments)


def test_model_text_that_a_spreadsheet_would_run_is_neutralised_in_the_sheets(preds, tmp_path):
    """Rater sheets are opened in Excel: a rationale starting with = + - @ is text there, not a formula."""
    path = Path(preds[1].split("=", 1)[1]) / "predictions.jsonl"
    records = read_jsonl(path)
    formulas = ['=HYPERLINK("http://example.com/x","Click")', "+1+2", "-2+3", "@SUM(A1)"]
    for i, rec in enumerate(records):
        rec["output"] = f"###Rationale: {formulas[i % 4]}\n###Answer: OPTION A IS CORRECT."
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    out = tmp_path / "sheets"
    assert _judge("sheets", "--predictions", *preds, "--per_language", "0", "--output", str(out)) == 0
    import csv

    cells = [cell for sheet in (out / "for_raters").glob("rater_*.csv")
             for row in csv.reader(sheet.read_text(encoding="utf-8-sig").splitlines()[1:]) for cell in row]
    assert not [c for c in cells if c.startswith(("=", "+", "-", "@", "\t", "\r"))]
    assert {f"'{f}" for f in formulas} <= set(cells)


def test_problems_in_filled_sheets_are_listed_one_per_line(preds, tmp_path, capsys):
    out = tmp_path / "sheets"
    assert _sheets(preds, out, "--raters", "ana") == 0
    sheet = out / "for_raters" / "rater_ana.csv"  # handed back unfilled: 3 empty scores on each of its 3 rows
    assert _judge("score", "--sheets", str(sheet), "--output", str(tmp_path / "scores")) == 2
    err = capsys.readouterr().err.splitlines()
    assert err[0] == f"{JUDGE}: error: 9 problem(s) in the filled sheets (one per line below)"
    assert len(err) == 10 and all(line.startswith(f"  {sheet}: row ") and "is empty" in line for line in err[1:])


def _corrupt_predictions(preds: list[str], line: str) -> Path:
    path = Path(preds[0].split("=", 1)[1]) / "predictions.jsonl"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines.insert(1, line)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("line", ["{not json", json.dumps({"id": 7, "output": None})],
                         ids=["malformed line", "wrong field types"])
def test_judge_bad_prediction_records_are_an_error_or_counted(line, preds, tmp_path, capsys):
    path = _corrupt_predictions(preds, line)
    out = tmp_path / "sheets"
    assert _sheets(preds, out) == 2
    _one_line_error(capsys, JUDGE, f"{path}:2")
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["status"] == "error" and f"{path}:2" in manifest["error"]  # written also on failure
    assert _sheets(preds, out, "--on_bad_record", "skip") == 0
    assert [r["where"] for r in read_jsonl(out / "rejects.jsonl")] == [f"{path}:2"]
    assert json.loads((out / "manifest.json").read_text())["counts"]["rejected"] == 1


def test_judge_failed_run_keeps_the_outputs_and_config_already_there(preds, tmp_path, capsys):
    out = tmp_path / "sheets"
    assert _sheets(preds, out) == 0
    sheets = {p: p.read_bytes() for p in (out / "for_raters").glob("*.csv")}
    config = (out / "config.yaml").read_text()
    _corrupt_predictions(preds, "{not json")
    assert _sheets(preds, out, "--seed", "7") == 2
    assert {p: p.read_bytes() for p in (out / "for_raters").glob("*.csv")} == sheets
    assert (out / "config.yaml").read_text() == config


# ---------------------------------------------------------------------------------------------- lm_eval_tasks


@pytest.fixture()
def test_dir(samples_dir, tmp_path) -> Path:
    folder = tmp_path / "Test"
    folder.mkdir()
    lines = (samples_dir / "mmedbench" / "Test" / "English.jsonl").read_text(encoding="utf-8").splitlines()[:4]
    (folder / "English.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


def _tasks(test_dir: Path, out: Path, *extra: str) -> int:
    return cli(lm_eval_tasks.main, TASKS, ["--output", str(out), "--data", str(test_dir), *extra])


def _insert(path: Path, index: int, line: str) -> None:
    lines = path.read_text(encoding="utf-8").splitlines()
    lines.insert(index, line)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


TASKS_USER_ERRORS = {
    "bad flag value": (lambda t: ["--on_bad_record", "maybe"], ["on_bad_record", "'maybe'"]),
    "unknown key in the config file": (lambda t: ["--config", str(_yaml(t / "l.yaml", {"stylez": 1}))],
                                       ["l.yaml", "stylez"]),
    "output folder is a file": (lambda t: ["--output", str(_file(t / "taken"))], ["taken", "is a file"]),
    "unknown prompt style": (lambda t: ["--prompt_style", "alpaca"], ["alpaca"]),
    # found while the run holds the folder: its manifest says so
    "missing data folder": (lambda t: ["--data", str(t / "nowhere")], ["nowhere"]),
    "unknown language": (lambda t: ["--languages", "Klingon"], ["Klingon"]),
    "malformed JSONL line": (lambda t: _insert(t / "Test" / "English.jsonl", 1, "{not json") or [],
                             ["English.jsonl:2"]),
    "gold letter not an option": (
        lambda t: _insert(t / "Test" / "English.jsonl", 0, json.dumps(
            {"question": "Q?", "options": {"A": "y", "B": "n"}, "answer_idx": "E", "rationale": "",
             "human_checked": 0, "human_check_passed": 0})) or [], ["English.jsonl:1", "'E'"]),
}


@pytest.mark.parametrize("case", list(TASKS_USER_ERRORS))
def test_lm_eval_tasks_user_errors_are_one_line_and_lose_nothing(case, test_dir, tmp_path, capsys):
    out = tmp_path / "tasks"
    assert _tasks(test_dir, out) == 0
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file() and "_run" not in p.parts
              and not p.name.startswith("manifest")}
    capsys.readouterr()
    extra, fragments = TASKS_USER_ERRORS[case]
    assert _tasks(test_dir, out, *extra(tmp_path)) == 2
    _one_line_error(capsys, TASKS, *fragments)
    assert {p: p.read_bytes() for p in before} == before
    status = json.loads((out / "manifest_mmedbench_mmedlm.json").read_text())["status"]
    in_run = ("missing data folder", "unknown language", "malformed JSONL line", "gold letter not an option")
    assert status == ("error" if case in in_run else "ok")


def test_lm_eval_tasks_bad_records_skipped_are_counted(test_dir, tmp_path):
    _insert(test_dir / "English.jsonl", 1, "{not json")
    out = tmp_path / "tasks"
    assert _tasks(test_dir, out, "--on_bad_record", "skip") == 0
    assert len(read_jsonl(out / "rejects.jsonl")) == 1
    assert json.loads((out / "manifest_mmedbench_mmedlm.json").read_text())["counts"]["rejected_records"] == 1
    assert len(read_jsonl(out / "data" / "mmedlm" / "English.jsonl")) == 4
