"""inference.suite on the tiny model and the benchmark samples: the report says what the records say."""

from __future__ import annotations

import csv
import json

import pytest
from cli_helpers import one_line_error, write_yaml

from common.cli import cli
from common.records import read_jsonl
from inference import suite, suite_config
from inference.multilingual_benchmarks import load_language

PROG = "python -m inference.suite"


def _config(tmp_path, model, benchmarks, **extra):
    data = {"model": str(model), "prompt_style": "mmedlm", "max_new_tokens": 12, "dtype": "float32",
            "device": "cpu", "cpu_threads": 1, "output": str(tmp_path / "out"), "bootstrap_samples": 100,
            "benchmarks": benchmarks, **extra}
    return ["--config", str(write_yaml(tmp_path / "suite.yaml", data))]


def _csv(path):
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def ran(tiny_model_dir, samples_dir, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("suite")
    bench = samples_dir / "benchmarks"
    benchmarks = [
        {"name": "mmedbench", "path": str(samples_dir / "mmedbench" / "Test"), "languages": ["en"], "limit": 3,
         "scoring": "loglik"},
        {"name": "xmedbench", "path": str(bench / "xmedbench"), "languages": ["zh", "hi"]},
        {"name": "medexpqa", "path": str(bench / "medexpqa"), "languages": ["it"], "modes": ["answer", "rationale"]},
        {"name": "mmlu_prox", "path": str(bench / "mmlu_prox"), "languages": ["en"], "scoring": "loglik"},
        {"name": "global_mmlu", "path": str(bench / "global_mmlu"), "languages": ["de"], "scoring": "loglik"},
    ]
    argv = _config(tmp, tiny_model_dir, benchmarks)
    assert cli(suite.main, PROG, argv) == 0
    return tmp, argv


def test_report_rows_are_the_records(ran, samples_dir):
    tmp, _ = ran
    report = tmp / "out" / "report"
    rows = {(r["Benchmark"], r["Code"]): r for r in _csv(report / "suite_accuracy.csv")}
    assert set(rows) == {("MMedBench", "en"), ("XMedBench", "zh"), ("XMedBench", "hi"), ("MedExpQA", "it"),
                         ("MMLU-ProX", "en"), ("Global-MMLU", "de")}
    assert rows["XMedBench", "hi"]["Language"] == "Hindi" and rows["XMedBench", "hi"]["Questions"] == "2"
    records = read_jsonl(report / "records.jsonl")
    for (title, code), row in rows.items():
        mine = [r for r in records if r["code"] == code and suite_title(r["benchmark"]) == title
                and r["mode"] == row["Mode"]]
        assert len(mine) == int(row["Questions"])
        for rule in ("strict", "lenient"):
            correct = sum(r["by_rule"][rule]["correct"] for r in mine)
            read = sum(r["by_rule"][rule]["parsed"] is not None for r in mine)
            assert float(row[f"{rule} accuracy"]) == pytest.approx(100 * correct / len(mine), abs=0.01)
            assert int(row[f"{rule} read"]) == read
            assert float(row[f"{rule} CI low"]) <= float(row[f"{rule} accuracy"]) <= float(row[f"{rule} CI high"])
    # loglik always writes an answer line, and on the 10-option questions its letter is one of the options
    prox = [r for r in records if r["benchmark"] == "mmlu_prox"]
    options = {q.id: q.options for q in load_language("mmlu_prox", samples_dir / "benchmarks" / "mmlu_prox", "en")}
    assert prox and all(r["parsed"] and r["parsed"][0] in options[r["id"]] for r in prox)


def suite_title(name: str) -> str:
    from inference.suite_report import TITLES

    return TITLES[name]


def test_reference_rows_rationales_and_leaderboards(ran):
    tmp, _ = ran
    report = tmp / "out" / "report"
    table = {r["Model"]: r for r in _csv(report / "suite_table.csv")}
    assert table["MMed-Llama 3 8B"]["MMedBench:en"] == "66.06" and table["MMed-Llama 3 8B"]["MMedBench:avg"] == "67.75"
    assert table["MMed-Llama 3.1-70B"]["MMedBench:avg"] == "80.51" and table["GPT-4"]["MMedBench:avg"] == "74.27"
    assert table["ours"]["MMedBench:avg"] == table["ours"]["MMedBench:en"]  # our average is over what we ran
    xmed = [float(table["ours"][f"XMedBench:{c}"]) for c in ("zh", "hi")]
    assert float(table["ours"]["XMedBench:avg"]) == pytest.approx(sum(xmed) / 2, abs=0.01)
    assert table["GPT-4"]["XMedBench:avg"] == ""  # a reference gives MMedBench numbers only
    results = (report / "results.md").read_text(encoding="utf-8")
    assert "| MedExpQA | it | 1 | " in results  # one Italian rationale scored against the doctors' explanation
    board = _csv(report / "leaderboard" / "medexpqa" / "rationale_results.csv")
    assert board[0]["Language"] == "Italian" and board[0]["GT_Answer"].startswith("L'adrenalina è il primo")
    # Global-MMLU's German sample: the anatomy question is annotated culturally agnostic, the other is not annotated
    assert "| de | CA | 1 | " in results and "| de | not annotated | 1 | " in results
    answers = _csv(report / "leaderboard" / "xmedbench" / "multi_choice_results.csv")
    assert {r["Language"] for r in answers} == {"Chinese", "Hindi"} and len(answers) == 5


def test_rerun_generates_nothing_and_rewrites_the_same_report(ran, capsys):
    tmp, argv = ran
    preds = sorted((tmp / "out" / "predictions").rglob("predictions.jsonl"))
    before = {p: p.read_bytes() for p in preds}
    table = (tmp / "out" / "report" / "suite_accuracy.csv").read_bytes()
    capsys.readouterr()
    assert cli(suite.main, PROG, argv) == 0
    out = capsys.readouterr().out
    assert out.count("out: 0 new predictions") == len(preds) == 6
    assert {p: p.read_bytes() for p in preds} == before
    assert (tmp / "out" / "report" / "suite_accuracy.csv").read_bytes() == table
    # a unit with nothing left to do never loads the model
    from common.config import load_config

    cfg = load_config(suite_config.SuiteConfig, argv)
    backend = suite.SharedBackend()
    assert all(suite.run_unit(cfg, unit, backend) == 0 for unit in suite_config.suite_units(cfg))
    assert backend.__dict__["_backend"] is None


@pytest.mark.parametrize(("bench", "fragments"), [
    ({"name": "xmedbench", "path": "MISSING"}, ["xmedbench: folder not found", "MISSING"]),
    ({"name": "xmedbench", "path": "XMED", "languages": ["ko"]}, ["no file for language ko", "test/ko.json"]),
    ({"name": "mmedbench", "path": "MMED", "languages": ["de"]}, ["no file for language de", "German.jsonl"]),
    ({"name": "pubmedqa", "path": "XMED"}, ["key 'benchmarks[0].name': expected one of mmedbench, xmedbench", "got 'pubmedqa'"]),
    ({"name": "xmedbench", "path": "XMED", "scoring": "loglik", "modes": ["rationale"]},
     ["benchmarks[0]", "loglik scores answer lines only"]),
    ({"name": "xmedbench", "path": "XMED", "language": ["en"]}, ["language"]),
])
def test_user_errors_are_one_line(tmp_path, samples_dir, capsys, bench, fragments):
    paths = {"MISSING": str(tmp_path / "MISSING"), "XMED": str(samples_dir / "benchmarks" / "xmedbench"),
             "MMED": str(samples_dir / "mmedbench" / "Test")}
    bench = {**bench, "path": paths[bench["path"]]}
    assert cli(suite.main, PROG, _config(tmp_path, tmp_path / "no-model", [bench])) == 2
    one_line_error(capsys, PROG, *fragments)
    assert not (tmp_path / "out" / "report").exists()


def test_bad_record_is_named_or_counted(tiny_model_dir, samples_dir, tmp_path, capsys):
    bad = {"name": "xmedbench", "path": str(samples_dir / "benchmarks" / "bad" / "xmedbench")}
    assert cli(suite.main, PROG, _config(tmp_path, tiny_model_dir, [bad])) == 2
    one_line_error(capsys, PROG, "en.json:8", "'(E)' is not among the options")
    assert cli(suite.main, PROG, _config(tmp_path, tiny_model_dir, [bad], on_bad_record="skip")) == 0
    (row,) = _csv(tmp_path / "out" / "report" / "suite_accuracy.csv")
    assert row["Questions"] == "1" and row["Rejected"] == "1"
    reject = json.loads((tmp_path / "out" / "predictions" / "xmedbench" / "en" / "rejects.jsonl").read_text())
    assert reject["where"].endswith("en.json:8")


def test_settings_are_checked_before_any_work(tmp_path, samples_dir, capsys):
    xmed = {"name": "xmedbench", "path": str(samples_dir / "benchmarks" / "xmedbench")}
    for key, value in (("metrics", "bleurt"), ("accuracy_rule", "generous"), ("on_mismatch", "merge")):
        assert cli(suite.main, PROG, _config(tmp_path, tmp_path / "no-model", [xmed], **{key: value})) == 2
        one_line_error(capsys, PROG, f"key '{key}'", value)
    assert cli(suite.main, PROG, _config(tmp_path, tmp_path / "no-model", [])) == 2
    one_line_error(capsys, PROG, "key 'benchmarks'")
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("module", ["inference.suite", "inference.lm_eval_benchmarks"])
def test_help_prints_and_exits_0(module, capsys):
    import importlib

    with pytest.raises(SystemExit) as exited:
        importlib.import_module(module).main(["--help"])
    assert exited.value.code == 0 and "--config" in capsys.readouterr().out


def test_shipped_suite_configs_load(repo_root):
    from common.config import load_config
    from inference.lm_eval_benchmarks import LmEvalBenchmarksConfig

    for path in sorted((repo_root / "configs" / "inference").glob("suite*.yaml")):
        cfg = load_config(suite_config.SuiteConfig, ["--config", str(path)])  # its validate() checks the entries
        assert {b.name for b in cfg.benchmarks} == set(suite_config.SUITE_BENCHMARKS), path
    lm = load_config(LmEvalBenchmarksConfig, ["--config", str(repo_root / "configs/inference/lm_eval_benchmarks.yaml")])
    assert {b.name for b in lm.benchmarks} == set(suite_config.SUITE_BENCHMARKS) - {"mmedbench"}
