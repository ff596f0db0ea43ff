"""finetune.merge checks its own result: the largest logit difference between base + adapter and the merged model
is recorded, and a merge above max_logit_diff is refused with one line, writing nothing."""

from __future__ import annotations

import json

import pytest
from test_finetune_data import ft_model_dir, tokenizer  # noqa: F401  (session fixtures)
from test_finetune_merge import write_random_adapter

from common.cli import cli
from finetune.merge import main as merge_main


@pytest.fixture(scope="module")
def adapter(tmp_path_factory, ft_model_dir, tokenizer):  # noqa: F811
    return write_random_adapter(ft_model_dir, tokenizer, tmp_path_factory.mktemp("adapter"))


def test_merge_records_how_close_it_is_to_base_plus_adapter(tmp_path, ft_model_dir, adapter, capsys):  # noqa: F811
    fp32, bf16 = tmp_path / "fp32", tmp_path / "bf16"
    merge_main(["--base", str(ft_model_dir), "--adapter", str(adapter), "--output", str(fp32), "--dtype", "fp32"])
    assert "largest logit difference" in capsys.readouterr().out
    exact = json.loads((fp32 / "merge_check.json").read_text())["max_logit_diff"]
    assert exact < 1e-4
    merge_main(["--base", str(ft_model_dir), "--adapter", str(adapter), "--output", str(bf16), "--dtype", "bf16",
                "--max_logit_diff", "0"])  # no check: bf16 rounds the merged weights
    rounded = json.loads((bf16 / "merge_check.json").read_text())["max_logit_diff"]
    assert rounded > 10 * exact


def test_merge_above_the_tolerance_is_one_line_and_writes_nothing(tmp_path, ft_model_dir, adapter, capsys):  # noqa: F811
    out = tmp_path / "merged"
    argv = ["--base", str(ft_model_dir), "--adapter", str(adapter), "--output", str(out), "--max_logit_diff", "1e-12"]
    assert cli(merge_main, "python -m finetune.merge", argv) == 2
    errors = [line for line in capsys.readouterr().err.splitlines() if "finetune.merge: error:" in line]
    assert len(errors) == 1 and "above max_logit_diff 1e-12" in errors[0] and "--dtype fp32" in errors[0]
    assert not (out / "model.safetensors").exists()
