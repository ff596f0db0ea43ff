"""The shared training engine (common/trainer.py and friends): data order, schedule, checkpoints, FSDP2 on 2 CPU
processes with gloo."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from common.checkpoint import COMPLETE, latest_checkpoint
from common.train_config import TrainConfig, resolve_peak_flops
from common.trainer import StepSampler, lr_lambda

WORKER = Path(__file__).with_name("test_engine_worker.py")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_worker(model_dir: Path, out_dir: Path, overrides: dict, nproc: int = 2) -> subprocess.CompletedProcess:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(WORKER.parent.parent)}
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", str(nproc),
           "--master_port", str(free_port()), str(WORKER), str(model_dir), str(out_dir), json.dumps(overrides)]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-5000:]
    return proc


def metrics(out_dir: Path) -> list[dict]:
    return [json.loads(line) for line in (out_dir / "metrics.jsonl").read_text().splitlines()]


def test_sampler_ranks_split_each_global_batch_and_resume_is_a_function_of_step():
    world, micro, global_batch = 2, 2, 8
    ranks = [StepSampler(20, global_batch, micro, world, r, seed=1) for r in range(world)]
    assert ranks[0].steps_per_epoch == 2
    for step in range(5):
        seen = [i for s in ranks for mb in s.micro_batches(step) for i in mb]
        assert len(seen) == global_batch and len(set(seen)) == global_batch  # no sequence twice in a step
    epoch0 = {i for step in (0, 1) for s in ranks for mb in s.micro_batches(step) for i in mb}
    assert len(epoch0) == 16  # two full batches of distinct sequences, the tail of 4 is left out
    fresh = StepSampler(20, global_batch, micro, world, 1, seed=1)
    assert fresh.micro_batches(3) == ranks[1].micro_batches(3)  # a restarted process sees the same batches
    assert ranks[0].position(3) == {"epoch": 1, "index": 8, "dataset_size": 20, "seed": 1,
                                     "global_batch": 8}
    other_seed = StepSampler(20, global_batch, micro, world, 0, seed=2)
    assert other_seed.micro_batches(0) != ranks[0].micro_batches(0)


def test_cosine_schedule_warms_up_then_decays_to_min():
    f = lr_lambda(total_steps=100, warmup_steps=10, schedule="cosine", min_ratio=0.1)
    assert f(0) == pytest.approx(0.1) and f(9) == pytest.approx(1.0)
    assert f(10) == pytest.approx(1.0) and f(55) == pytest.approx(0.55) and f(100) == pytest.approx(0.1)


def test_batch_that_does_not_divide_is_an_error():
    cfg = TrainConfig(global_batch_size=512, micro_batch_size=3)
    with pytest.raises(ValueError, match="not divisible"):
        cfg.grad_accum_steps(8)
    assert TrainConfig(global_batch_size=512, micro_batch_size=4).grad_accum_steps(8) == 16
    with pytest.raises(ValueError, match="unsynchronised"):
        TrainConfig(global_batch_size=8, parallelism="none").grad_accum_steps(2)


def test_peak_flops_never_guessed():
    assert resolve_peak_flops("auto", "cuda", "NVIDIA H100 80GB HBM3") == 989e12
    assert resolve_peak_flops("auto", "cpu") is None
    assert resolve_peak_flops("312e12", "cuda", "x") == 312e12
    with pytest.raises(ValueError, match="unknown device"):
        resolve_peak_flops("auto", "cuda", "NVIDIA GeForce RTX 4090")


def test_incomplete_checkpoint_is_never_picked(tmp_path):
    root = tmp_path / "checkpoints"
    for step, complete in ((2, True), (4, True), (6, False)):
        d = root / f"step_{step:08d}"
        d.mkdir(parents=True)
        if complete:
            (d / COMPLETE).write_text("ok")
    (root / ".tmp_step_00000008").mkdir()
    assert latest_checkpoint(root).name == "step_00000004"


# the kill-and-resume test runs through pretrain.train: tests/test_pretrain.py


@pytest.mark.slow
def test_fsdp_two_processes_shards_trains_and_matches_one_process(tiny_model_dir, tmp_path):
    """2 ranks x 2 micro-batches and 1 rank x 4 micro-batches see the same data: same losses. Rank 1 builds the
    model on the meta device and receives rank 0's weights."""
    run_worker(tiny_model_dir, tmp_path / "two", {"max_steps": 5, "checkpoint_every": 0, "meta_init": True})
    run_worker(tiny_model_dir, tmp_path / "one", {"max_steps": 5, "checkpoint_every": 0}, nproc=1)
    summary = json.loads((tmp_path / "two" / "summary.json").read_text())
    assert summary["sharded"]  # every parameter a DTensor
    two = [r["loss"] for r in metrics(tmp_path / "two") if "loss" in r]
    one = [r["loss"] for r in metrics(tmp_path / "one") if "loss" in r]
    assert two[-1] < two[0] - 0.5
    assert two == pytest.approx(one, rel=1e-4)
    assert "val_loss_en" in metrics(tmp_path / "two")[-1]
    assert (tmp_path / "two" / "checkpoints" / "step_00000005" / COMPLETE).exists()  # saved at the end
