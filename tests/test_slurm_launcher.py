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
