"""`python -m common.launch` is torchrun with the project's exit statuses: a worker's user error is its one line and
exit 2, with no ChildFailedError traceback from the launcher."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from common.launch import failure_status

REPO = Path(__file__).resolve().parent.parent


def test_the_status_of_failed_workers():
    assert failure_status([2]) == 2
    assert failure_status([1, 2]) == 2  # a rank that saw the user error first stops the others
    assert failure_status([-15, 130]) == 130
    assert failure_status([-9]) == 137 and failure_status([3, 1]) == 3


@pytest.mark.slow
def test_a_user_error_under_the_launcher_is_one_line_and_exit_2(tmp_path):
    # two ranks meet the same error: it is printed once
    proc = subprocess.run([sys.executable, "-m", "common.launch", "--standalone", "--nproc_per_node", "2", "-m",
                           "common.check_samples", "--samples", str(tmp_path / "nowhere")],
                          cwd=REPO, capture_output=True, text=True, timeout=300,
                          env={**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(REPO)})
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.strip().splitlines() == [
        f"python -m common.check_samples: error: MMedBench folder not found: {tmp_path}/nowhere/mmedbench/Train"]
