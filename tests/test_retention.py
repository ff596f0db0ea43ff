"""scripts/retention.py: a model before and after, scored by option log-likelihood on MMedBench and the English
benchmarks, in one table with the change."""

from __future__ import annotations

import csv
import sys

import pytest
import torch


@pytest.mark.slow
def test_retention_table_has_every_benchmark_and_the_change(repo_root, tiny_model_dir, tmp_path, capsys):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    sys.path.insert(0, str(repo_root / "scripts"))
    import retention

    after = tmp_path / "after"  # the tiny model with its head perturbed: another model, other choices
    model = AutoModelForCausalLM.from_pretrained(tiny_model_dir)
    gen = torch.Generator().manual_seed(0)
    with torch.no_grad():
        model.lm_head.weight.add_(torch.randn(model.lm_head.weight.shape, generator=gen), alpha=5.0)
    model.save_pretrained(after)
    AutoTokenizer.from_pretrained(tiny_model_dir).save_pretrained(after)
    assert retention.main(["--before", str(tiny_model_dir), "--after", str(after), "--output", str(tmp_path / "r"),
                           "--device", "cpu", "--dtype", "float32", "--limit", "3"]) == 0
    with open(tmp_path / "r" / "retention.csv", encoding="utf-8", newline="") as f:
        rows = {r["benchmark"]: r for r in csv.DictReader(f)}
    assert {"MMedBench English", "MMedBench Chinese", "MMedBench Avg", "MedQA", "MedMCQA", "PubMedQA",
            "MMLU Avg"} <= set(rows)
    for row in rows.values():
        assert float(row["change"]) == pytest.approx(float(row["after"]) - float(row["before"]), abs=0.011)
    assert any(float(r["change"]) != 0 for r in rows.values())  # the perturbed head chooses otherwise somewhere
    assert "| MedQA |" in capsys.readouterr().out
    with pytest.raises(FileNotFoundError, match="no HF model dir"):
        retention.main(["--before", str(tmp_path / "missing"), "--after", str(after)])
