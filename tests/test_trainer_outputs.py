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
