"""The judge with a local HF model dir (the tiny model through transformers): calls, cache on rerun, unparsed
replies counted, and a missing model dir named in a one-line error."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from judge_helpers import write_predictions

from common.cli import cli
from inference import judge

TEST_DIR = Path(__file__).resolve().parent.parent / "samples" / "mmedbench" / "Test"


def _run(preds, model_dir, out) -> int:
    return cli(judge.main, "python -m inference.judge", ["run", "--predictions", *preds, "--data", str(TEST_DIR), "--languages", "ja",
                       "--per_language", "1", "--orders", "3", "--bootstrap_samples", "50", "--judge.kind", "local",
                       "--judge.model", str(model_dir), "--judge.max_tokens", "12", "--judge.device", "cpu",
                       "--judge.dtype", "float32", "--output", str(out)])


@pytest.mark.slow
def test_local_model_judge_runs_and_reruns_from_the_cache(tmp_path, samples_dir, tiny_model_dir):
    preds = write_predictions(samples_dir, tmp_path / "preds")
    out = tmp_path / "run"
    assert _run(preds, tiny_model_dir, out) == 0
    records = [json.loads(x) for x in (out / "judgements.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(records) == 3  # one question, three orders
    assert len({tuple(r["order"]) for r in records}) == 3
    usage = json.loads((out / "usage.json").read_text(encoding="utf-8"))
    assert usage["fresh_calls"] == 3 and usage["fresh_prompt_tokens"] > 0
    assert usage["judge"]["backend"] == "local"
    unparsed = (out / "unparsed.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(unparsed) == sum(r["ratings"] is None for r in records)
    assert f"{len(unparsed)} unparsed" in (out / "results.md").read_text(encoding="utf-8")
    assert _run(preds, tiny_model_dir, out) == 0
    usage = json.loads((out / "usage.json").read_text(encoding="utf-8"))
    assert (usage["fresh_calls"], usage["cached_calls"]) == (0, 3)
    again = [json.loads(x) for x in (out / "judgements.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [r["reply"] for r in again] == [r["reply"] for r in records]


def test_missing_local_model_is_a_one_line_error(tmp_path, samples_dir, capsys):
    preds = write_predictions(samples_dir, tmp_path / "preds")
    assert _run(preds, tmp_path / "no-such-model", tmp_path / "run") == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("python -m inference.judge: error: model not found:") and "no-such-model" in err and "\n" not in err
