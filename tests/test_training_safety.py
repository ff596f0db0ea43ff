"""Training runs a user can trust: a crafted checkpoint runs nothing, one run per output folder, a rerun of a
finished run changes nothing, a half-deleted checkpoint is cleaned up, and torchrun workers die with their launcher."""

from __future__ import annotations

import json
import os
import pickle
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from test_engine import free_port
from test_pretrain import pretrain, tokens  # noqa: F401  (tokens is a fixture)

from common.checkpoint import COMPLETE, UnsafeCheckpointError
from common.run_lock import RunLock, RunLockedError

REPO = Path(__file__).resolve().parent.parent


class _RunsCode:
    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def test_crafted_checkpoint_is_refused_and_runs_nothing(tiny_model_dir, tmp_path):
    from pretrain.export import main as export

    step = tmp_path / "run" / "checkpoints" / "step_00000002"
    step.mkdir(parents=True)
    marker = tmp_path / "code-ran"
    (step / ".metadata").write_bytes(pickle.dumps(_RunsCode(marker)))
    (step / COMPLETE).write_text("step 2\n")
    with pytest.raises(UnsafeCheckpointError, match=r"\.metadata: refers to posix\.system"):
        export(["--checkpoint", str(tmp_path / "run"), "--model", str(tiny_model_dir), "--output", str(tmp_path / "hf")])
    assert not marker.exists()


def _hold_lock(folder: Path) -> subprocess.Popen:
    code = ("import sys, time; from common.run_lock import RunLock; RunLock(sys.argv[1]).acquire(); "
            "print('held', flush=True); time.sleep(600)")
    proc = subprocess.Popen([sys.executable, "-c", code, str(folder)], cwd=REPO, stdout=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONPATH": str(REPO)})
    assert proc.stdout.readline().strip() == "held"
    return proc


def test_second_run_on_a_folder_names_the_holder_and_a_dead_holder_is_taken_over(tmp_path):
    holder = _hold_lock(tmp_path / "run")
    try:
        with pytest.raises(RunLockedError, match=rf"in use by another run \(pid {holder.pid} on "):
            RunLock(tmp_path / "run").acquire()
    finally:
        holder.kill()  # SIGKILL: the lock file stays behind, stale
        holder.wait()
    with RunLock(tmp_path / "run") as lock:
        assert json.loads(lock.path.read_text())["pid"] == os.getpid()
    assert (tmp_path / "run" / ".lock").read_text() == ""  # released: free for the next run


@pytest.mark.slow
def test_training_on_a_locked_folder_stops_before_writing(tiny_model_dir, tokens, tmp_path):  # noqa: F811
    holder = _hold_lock(tmp_path / "run")
    try:
        proc = subprocess.run([sys.executable, "-m", "pretrain.train", "--config", "configs/pretrain/tiny.yaml",
                               "--model", str(tiny_model_dir), "--data", str(tokens),
                               "--train.output", str(tmp_path / "run")], cwd=REPO, capture_output=True,
                              text=True, timeout=300, env={**os.environ, "PYTHONPATH": str(REPO)})
    finally:
        holder.kill()
        holder.wait()
    assert proc.returncode != 0 and f"in use by another run (pid {holder.pid}" in proc.stderr
    assert sorted(p.name for p in (tmp_path / "run").iterdir()) == [".lock"]  # no config.yaml, no manifest


@pytest.mark.slow
def test_rerun_of_a_finished_run_changes_nothing_and_half_deleted_checkpoints_go(tiny_model_dir, tokens,  # noqa: F811
                                                                                 tmp_path):
    out = tmp_path / "run"
    pretrain(tiny_model_dir, tokens, out, killed_after=2)  # killed after its step-2 checkpoint
    half_deleted = out / "checkpoints" / "step_00000001"  # a prune cut short: COMPLETE already gone
    half_deleted.mkdir()
    (half_deleted / "__0_0.distcp").write_bytes(b"partial")
    pretrain(tiny_model_dir, tokens, out)
    assert not half_deleted.exists()
    metrics = (out / "metrics.jsonl").read_text()
    first = json.loads((out / "manifest.json").read_text())["counts"]
    log = pretrain(tiny_model_dir, tokens, out)  # the same command again
    again = json.loads((out / "manifest.json").read_text())["counts"]
    assert (out / "metrics.jsonl").read_text() == metrics  # no duplicate final row
    last_loss = [json.loads(line)["loss"] for line in metrics.splitlines() if "loss" in json.loads(line)][-1]
    assert again["final_loss"] == first["final_loss"] == last_loss and again["steps_this_run"] == 0, log
    assert again["val_loss_en"] == first["val_loss_en"]


@pytest.mark.slow
def test_torchrun_workers_die_when_the_launchers_process_group_is_killed(tiny_model_dir, tokens, tmp_path):  # noqa: F811
    out = tmp_path / "run"
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "--master_port", str(free_port()),
           "-m", "pretrain.train", "--config", "configs/pretrain/tiny.yaml", "--model", str(tiny_model_dir),
           "--data", str(tokens), "--train.output", str(out), "--train.max_steps", "100000",
           "--train.global_batch_size", "4", "--train.micro_batch_size", "1", "--train.checkpoint_every", "0"]
    launcher = subprocess.Popen(cmd, cwd=REPO, start_new_session=True, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, env={**os.environ, "OMP_NUM_THREADS": "1",
                                                                "PYTHONPATH": str(REPO)})
    try:
        deadline = time.time() + 240
        while not (out / "metrics.jsonl").exists() and time.time() < deadline:
            time.sleep(0.5)
        workers = [int(p) for p in Path(f"/proc/{launcher.pid}/task/{launcher.pid}/children").read_text().split()]
        assert len(workers) == 2
        os.killpg(launcher.pid, signal.SIGKILL)
        launcher.wait()
        deadline = time.time() + 30
        while any(Path(f"/proc/{w}").exists() for w in workers) and time.time() < deadline:
            time.sleep(0.2)
        assert not [w for w in workers if Path(f"/proc/{w}").exists()]
    finally:
        if launcher.poll() is None:
            os.killpg(launcher.pid, signal.SIGKILL)
