"""The per-node launcher of scripts/slurm/lib.sh and the stop/status files it shares with the trainer, without
Slurm: a USR1 or TERM sent to the launcher (what Slurm does to a job step under any process tracking) becomes a
stop request naming the signal, and the command it started (torchrun) neither dies of it nor handles TERM itself."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from common.distributed import report_status, requested_stop

REPO = Path(__file__).resolve().parent.parent

# stands in for torchrun: reports how it was started, then runs until a stop is requested
CHILD = """
import os, signal, sys, time
print(signal.getsignal(signal.SIGUSR1) is signal.SIG_IGN, signal.getsignal(signal.SIGTERM) is signal.SIG_IGN,
      os.environ.get("PET_SIGNALS_TO_HANDLE"), flush=True)
while not os.path.exists(os.environ["MMED_STOP_FILE"]):
    time.sleep(0.05)
sys.exit(7)
"""


def test_node_launcher_turns_signals_into_one_stop_request(tmp_path):
    stop = tmp_path / "job.stop"
    launcher = subprocess.Popen(
        ["bash", "-c", f'source {REPO}/scripts/slurm/lib.sh; mmed_node_launch "$@"', "launch", sys.executable,
         "-c", CHILD], env={**os.environ, "MMED_STOP_FILE": str(stop)}, stdout=subprocess.PIPE, text=True)
    started = launcher.stdout.readline().split()
    # the command ignores USR1 and TERM (a USR1 would kill torchrun; its TERM handling kills the workers)
    assert started == ["True", "True", "SIGINT,SIGHUP,SIGQUIT"]
    launcher.send_signal(signal.SIGUSR1)
    deadline = time.time() + 30
    while not stop.exists() and time.time() < deadline:
        time.sleep(0.01)
    launcher.send_signal(signal.SIGTERM)  # a second request keeps the first one's name
    assert launcher.wait(timeout=30) == 7  # the command's own exit status, after it saw the request
    assert stop.read_text().strip() == "SIGUSR1"


def test_stop_file_names_the_signal_and_status_file_says_how_the_run_ended(tmp_path, monkeypatch):
    stop, status = tmp_path / "job.stop", tmp_path / "job.status.json"
    monkeypatch.setenv("MMED_STOP_FILE", str(stop))
    monkeypatch.setenv("MMED_STATUS_FILE", str(status))
    assert requested_stop() == 0
    stop.write_text("SIGTERM\n")
    assert requested_stop() == signal.SIGTERM
    stop.write_text("")  # a request without a name still stops, as the time-limit USR1 does
    assert requested_stop() == signal.SIGUSR1
    report_status({"finished": False, "stopped": "signal SIGUSR1", "steps": 12, "total_steps": 30, "loss": 1.0})
    assert json.loads(status.read_text()) == {"finished": False, "stopped": "signal SIGUSR1", "steps": 12,
                                              "total_steps": 30}
    monkeypatch.delenv("MMED_STOP_FILE")
    assert requested_stop() == 0


def _after_training(tmp_path, rc: int, status: dict | None, ending: bool = False) -> tuple[int, str]:
    """scripts/slurm/lib.sh's decision once training has exited with `rc`, leaving `status` (MMED_REQUEUE=0, so
    no requeue is attempted: that path runs on a real cluster in tests/test_slurm*.py)."""
    status_file = tmp_path / "job.status.json"
    status_file.unlink(missing_ok=True)
    if status is not None:
        status_file.write_text(json.dumps(status))
    script = f"source {REPO}/scripts/slurm/lib.sh; _mmed_ending={int(ending)}; mmed_after_training {rc}"
    proc = subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=60,
                          env={**os.environ, "MMED_REQUEUE": "0", "MMED_STOP_FILE": str(tmp_path / "job.stop"),
                               "MMED_STATUS_FILE": str(status_file), "SLURM_JOB_ID": "7"})
    return proc.returncode, proc.stdout


def test_job_end_follows_the_training_status_never_looking_finished_when_it_is_not(tmp_path):
    finished = {"finished": True, "stopped": None, "steps": 30, "total_steps": 30}
    stopped = {"finished": False, "stopped": "signal SIGUSR1", "steps": 12, "total_steps": 30}
    assert _after_training(tmp_path, 0, finished)[0] == 0  # COMPLETED, and nothing requeued
    code, out = _after_training(tmp_path, 0, stopped)
    assert code == 3 and "stopped at step 12 of 30 (signal SIGUSR1)" in out and "MMED_REQUEUE=0" in out
    assert _after_training(tmp_path, 0, stopped, ending=True)[0] == 3  # Slurm ends the job: its own state
    assert _after_training(tmp_path, 0, None)[0] == 3  # exit 0 without a status is not taken for finished
    assert _after_training(tmp_path, 2, None)[0] == 2  # a failure keeps its status (2: a user error)
