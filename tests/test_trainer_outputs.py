"""What the engine writes: a finished run's export is not written again on a resubmission, and a checkpoint that
does not fit the disk is one error naming the folder (no traceback of torch's checkpoint writer)."""

from __future__ import annotations

import errno

import pytest
from test_run_outputs import _tmpfs
from test_train_health import _trainer

from common.cli import one_line


@pytest.mark.slow
def test_a_finished_runs_export_is_not_written_again(tiny_model_dir, tmp_path):
    from common.hf_export import load_causal_lm

    trainer = _trainer(load_causal_lm(str(tiny_model_dir)), tmp_path / "run", model_dir=tiny_model_dir, max_steps=2)
    trainer.train()
    out = trainer.export_hf(tmp_path / "hf")
    weights = out / "model.safetensors"
    first = weights.stat().st_mtime_ns
    assert trainer.export_hf(tmp_path / "hf") == out and weights.stat().st_mtime_ns == first
    trainer.export_hf(tmp_path / "hf", dtype="bfloat16")  # another dtype is another export
    assert weights.stat().st_mtime_ns != first
    (out / "export_done.json").unlink()  # an export cut short: done again
    second = weights.stat().st_mtime_ns
    trainer.export_hf(tmp_path / "hf", dtype="bfloat16")
    assert weights.stat().st_mtime_ns != second and (out / "export_done.json").is_file()
    trainer.close()


@pytest.mark.slow
def test_each_evaluation_is_logged_once_and_the_last_one_is_in_the_final_checkpoint(tiny_model_dir, tmp_path):
    """log_every 2, eval_every 3, 5 steps: training rows at 2, 4 and 5; the step-3 evaluation on a row of its own;
    the final evaluation in the step-5 row, in the summary and in the final checkpoint (a rerun reports it)."""
    from common.checkpoint import read_trainer_state
    from common.hf_export import load_causal_lm
    from common.metrics_log import read_metrics

    trainer = _trainer(load_causal_lm(str(tiny_model_dir)), tmp_path / "run", model_dir=tiny_model_dir,
                       evaluate=True, max_steps=5, log_every=2, eval_every=3)
    summary = trainer.train()
    trainer.close()
    rows = read_metrics(tmp_path / "run")
    assert [(r["step"], "loss" in r, "val_loss_en" in r) for r in rows] == [
        (2, True, False), (3, False, True), (4, True, False), (5, True, True)]
    assert summary["val_loss_en"] == rows[-1]["val_loss_en"] < rows[1]["val_loss_en"]
    final = read_trainer_state(tmp_path / "run" / "checkpoints" / "step_00000005")
    assert final["final_eval"] == {"val_loss_en": rows[-1]["val_loss_en"]}


@pytest.fixture
def tiny_disk(tmp_path):
    yield from _tmpfs(tmp_path / "disk", "1m")


@pytest.mark.slow
def test_a_checkpoint_on_a_full_disk_is_one_error_naming_the_folder(tiny_model_dir, tiny_disk):
    from common.hf_export import load_causal_lm

    trainer = _trainer(load_causal_lm(str(tiny_model_dir)), tiny_disk / "run", model_dir=tiny_model_dir,
                       max_steps=2, checkpoint_every=1)
    with pytest.raises(OSError) as caught:
        trainer.train()
    trainer.close()
    assert caught.value.errno == errno.ENOSPC
    assert one_line(caught.value).startswith(f"{tiny_disk / 'run' / 'checkpoints'}/.tmp_step_00000001: ")
    assert "saving the step 1 checkpoint" in one_line(caught.value)
