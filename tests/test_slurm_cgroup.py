"""pretrain.sbatch's stop and requeue on a one-node Slurm cluster with ProctrackType=proctrack/cgroup, the most
common process tracking on clusters: Slurm signals every process of the step's cgroup (torchrun's workers too).

Needs Slurm's cgroup/v1 plugin: a writable cgroup v1 freezer hierarchy (/sys/fs/cgroup/freezer). Slurm 22.05's
cgroup/v2 plugin only works under systemd (slurmd started by it, with a delegated cgroup subtree it asks for over
D-Bus), which a test cannot provide; on such machines the test is skipped and says so.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest
from slurm_helpers import (
    assert_resumed_where_stopped,
    copy_repo,
    job_env,
    log,
    losses,
    slurm_cluster,
    stop_steps,
    wait_for_step,
    wait_for_text,
)

FREEZER = Path("/sys/fs/cgroup/freezer")
CGROUP_CONF = """CgroupPlugin=cgroup/v1
CgroupMountpoint=/sys/fs/cgroup
ConstrainCores=no
ConstrainRAMSpace=no
ConstrainDevices=no
"""


def _freezer_problem() -> str | None:
    if not (FREEZER / "cgroup.procs").exists():
        return ("proctrack/cgroup not tested: no cgroup v1 freezer hierarchy at /sys/fs/cgroup/freezer (Slurm "
                "22.05's cgroup/v2 plugin needs slurmd under systemd with a delegated cgroup, which a test cannot "
                "start)")
    if not os.access(FREEZER, os.W_OK):
        return "proctrack/cgroup not tested: /sys/fs/cgroup/freezer is not writable here (needs root)"
    return None


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    problem = _freezer_problem()
    if problem:
        pytest.skip(problem)
    made = FREEZER / f"slurm_{socket.gethostname()}"  # slurmd's hierarchy; left behind when its jobs are gone
    existed = made.exists()
    try:
        with slurm_cluster(tmp_path_factory.mktemp("slurm-cgroup"), proctrack="cgroup",
                           extra_files={"cgroup.conf": CGROUP_CONF}) as c:
            yield c
    finally:
        if not existed and made.exists():  # empty cgroups (their control files aside): children first
            for d in sorted((p for p in made.rglob("*") if p.is_dir()), reverse=True) + [made]:
                d.rmdir()


@pytest.mark.slow
def test_pretrain_stops_and_requeues_under_proctrack_cgroup(cluster, tmp_path_factory, tiny_model_dir, tmp_path):
    import subprocess
    import sys

    repo = copy_repo(tmp_path_factory.mktemp("repo"))
    tokens = tmp_path / "tokens"
    tok = subprocess.run([sys.executable, "-m", "pretrain.tokenize", "--config", "configs/pretrain/tokenize_tiny.yaml",
                          "--tokenizer", str(tiny_model_dir), "--output", str(tokens), "--seq_len", "64"],
                         cwd=repo, capture_output=True, text=True, timeout=300)
    assert tok.returncode == 0, tok.stderr[-3000:]
    run = tmp_path / "run"
    job = cluster.sbatch(repo, "--gpus-per-node=0", "--cpus-per-task=1", "--mem=2G", "scripts/slurm/pretrain.sbatch",
                         "configs/pretrain/tiny.yaml", "--model", str(tiny_model_dir), "--data", str(tokens),
                         "--train.output", str(run), "--export_at_end", "false", "--train.max_steps", "20",
                         "--train.checkpoint_every", "100", "--train.global_batch_size", "2",
                         "--train.micro_batch_size", "1", "--train.eval_every", "0",
                         env={**job_env(), "NPROC_PER_NODE": "1"})
    pattern = f"mmed-pretrain-{job}.out"
    wait_for_step(run, 3)
    cluster.run("scontrol", "requeue", job)  # SIGTERM to every process of the job, the workers too
    wait_for_text(repo, pattern, "attempt 2")
    wait_for_step(run, stop_steps(log(repo, pattern))[0] + 3)
    cluster.run("scancel", "--signal=USR1", job)  # the step: its whole cgroup
    records = cluster.wait(job, timeout=300)
    text = log(repo, pattern)
    assert records[0]["JobState"] == "COMPLETED" and records[0]["Restarts"] == "2", text + cluster.diagnostics()
    assert "attempt 3" in text and "attempt 4" not in text and "training finished" in text, text
    assert_resumed_where_stopped(text, ["signal SIGTERM", "signal SIGUSR1"])
    assert sorted(losses(run)) == list(range(1, 21))  # every step once, none lost or redone
