from __future__ import annotations

import json

import pytest

from pretrain import plot


def test_plot_reads_train_and_validation_losses(tmp_path, capsys):
    rows = [{"step": 1, "loss": 8.0}, {"step": 5, "loss": 6.0, "val_loss_en": 7.5, "val_loss_zh": 7.9},
            {"step": 10, "loss": 4.0}, {"step": 10, "val_loss_en": 5.5, "val_loss_zh": 6.1}, {"final": True}]
    (tmp_path / "metrics.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    plot.main(["--run", str(tmp_path)])
    out = capsys.readouterr().out
    assert "validation loss (en, held-out documents): step 5 7.500 -> step 10 5.500" in out
    assert (tmp_path / "loss.png").read_bytes()[:4] == b"\x89PNG"
    table = (tmp_path / "validation.md").read_text().splitlines()
    assert "| en | 5 | 7.5000 | 1808.04 | 10 | 5.5000 | 244.69 | -2.0000 |" in table  # exp(7.5), exp(5.5)
    assert "| zh | 5 | 7.9000 | 2697.28 | 10 | 6.1000 | 445.86 | -1.8000 |" in table
    with pytest.raises(FileNotFoundError, match="no metrics file"):
        plot.main(["--run", str(tmp_path / "missing")])
