"""The run lock on a file system without flock (some NFS and Lustre mounts answer ENOLCK/EOPNOTSUPP): the holder's
record decides. A live holder is refused with the path to delete; a holder on this host whose process is gone is
taken over; under Slurm an earlier attempt of the same job (a requeue: another SLURM_RESTART_COUNT) is taken over
even where its process still looks alive, while another job, or the same attempt alive, is refused."""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from common import run_lock
from common.run_lock import RunLock, RunLockedError

REPO = Path(__file__).resolve().parent.parent
HOLD = ("import sys, time; from common.run_lock import RunLock; RunLock(sys.argv[1]).acquire(); "
        "print('held', flush=True); time.sleep(600)")


@pytest.fixture()
def no_flock(monkeypatch):
    """This process's flock fails as on a mount without locks; holders in other processes lock normally."""
    def refuse(fd, operation):
        raise OSError(errno.ENOLCK, "No locks available")

    monkeypatch.setattr(run_lock.fcntl, "flock", refuse)
    for name in ("SLURM_JOB_ID", "SLURM_RESTART_COUNT"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def start_holder(folder: Path, **slurm: str) -> subprocess.Popen:
    """Another process that takes the lock (its record names its pid, host and Slurm job) and keeps running."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLURM_")}
    proc = subprocess.Popen([sys.executable, "-c", HOLD, str(folder)], cwd=REPO, stdout=subprocess.PIPE, text=True,
                            env={**env, "PYTHONPATH": str(REPO), **slurm})
    assert proc.stdout.readline().strip() == "held"
    return proc


def stop(proc: subprocess.Popen) -> None:
    proc.kill()  # SIGKILL: nothing is released, the record stays
    proc.wait()
    proc.stdout.close()


def holder_pid(folder: Path) -> int:
    return json.loads((folder / ".lock").read_text())["pid"]


def test_live_holder_is_refused_and_a_dead_one_taken_over(tmp_path, no_flock):
    folder = tmp_path / "run"
    holder = start_holder(folder)
    try:
        with pytest.raises(RunLockedError, match=rf"pid {holder.pid} on .*if that run is dead, delete "
                                                 rf"{folder / '.lock'}"):
            RunLock(folder).acquire()
    finally:
        stop(holder)
    assert holder_pid(folder) == holder.pid  # the refused attempt wrote nothing
    with RunLock(folder):
        assert holder_pid(folder) == os.getpid()
    assert (folder / ".lock").read_text() == ""


def test_a_requeued_slurm_job_takes_over_its_earlier_attempt(tmp_path, no_flock):
    folder = tmp_path / "run"
    holder = start_holder(folder, SLURM_JOB_ID="4242", SLURM_RESTART_COUNT="0")
    try:
        no_flock.setenv("SLURM_JOB_ID", "4242")
        no_flock.setenv("SLURM_RESTART_COUNT", "0")  # the same attempt, alive: another step of this job
        with pytest.raises(RunLockedError, match=rf"pid {holder.pid} on .*Slurm job 4242"):
            RunLock(folder).acquire()
        no_flock.setenv("SLURM_JOB_ID", "5555")  # another job
        with pytest.raises(RunLockedError, match=rf"pid {holder.pid} on "):
            RunLock(folder).acquire()
        no_flock.setenv("SLURM_JOB_ID", "4242")
        no_flock.setenv("SLURM_RESTART_COUNT", "1")  # requeued: the record is the previous attempt's
        with RunLock(folder):
            record = json.loads((folder / ".lock").read_text())
            assert (record["pid"], record["slurm_job_id"], record["slurm_restart_count"]) == (os.getpid(), "4242", "1")
    finally:
        stop(holder)


def test_same_slurm_attempt_whose_process_died_is_taken_over(tmp_path, no_flock):
    folder = tmp_path / "run"
    holder = start_holder(folder, SLURM_JOB_ID="4242", SLURM_RESTART_COUNT="0")
    stop(holder)  # e.g. the job script runs the command again after a crash
    no_flock.setenv("SLURM_JOB_ID", "4242")
    with RunLock(folder):
        assert holder_pid(folder) == os.getpid()


def test_a_holder_on_another_host_is_never_guessed_dead(tmp_path, no_flock):
    folder = tmp_path / "run"
    holder = start_holder(folder)
    stop(holder)
    record = json.loads((folder / ".lock").read_text())
    (folder / ".lock").write_text(json.dumps({**record, "host": "node-elsewhere"}) + "\n")
    with pytest.raises(RunLockedError, match=rf"pid {holder.pid} on node-elsewhere.*delete {folder / '.lock'}"):
        RunLock(folder).acquire()
