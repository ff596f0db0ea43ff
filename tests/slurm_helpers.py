"""A real Slurm cluster on this machine for the sbatch tests: munged, slurmctld and one slurmd per node, started by
`slurm_cluster` and stopped when it ends. Several nodes run as several slurmd (`slurmd -N nodeK`, each on its own
port, all on 127.0.0.1); the process tracking plugin (ProctrackType) is a parameter, so the scripts' stop and
requeue are checked under each plugin that runs here."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from test_engine import free_port

REPO = Path(__file__).resolve().parent.parent
TERMINAL = {"COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "NODE_FAIL", "OUT_OF_MEMORY", "BOOT_FAIL", "DEADLINE"}


def _conf(root: Path, nodes: list[str], cpus: int, proctrack: str) -> str:
    node_lines = "\n".join(
        # every slurmd listens on 127.0.0.1, each on its own port; a one-node cluster is named after this host
        f"NodeName={name} NodeHostname={socket.gethostname()} NodeAddr=127.0.0.1 Port={free_port()} CPUs={cpus} "
        "RealMemory=8000 State=UNKNOWN" for name in nodes)
    return f"""ClusterName=mmedtest
SlurmctldHost=localhost(127.0.0.1)
SlurmUser=root
SlurmdUser=root
SlurmctldPort={free_port()}
AuthType=auth/munge
CredType=cred/munge
# a requeued job waits cred_expire seconds before it may start again (default 120)
AuthInfo=socket={root}/munge.sock,cred_expire=5
StateSaveLocation={root}/state
SlurmdSpoolDir={root}/spool-%n
SlurmctldPidFile={root}/slurmctld.pid
SlurmdPidFile={root}/slurmd-%n.pid
SlurmctldLogFile={root}/slurmctld.log
SlurmdLogFile={root}/slurmd-%n.log
ProctrackType=proctrack/{proctrack}
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/backfill
# a requeued job may start again after cred_expire: look for it every 2 s (default 60, backfill 30)
SchedulerParameters=defer_batch=0,sched_interval=2,bf_interval=2
ReturnToService=2
MpiDefault=none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SlurmdParameters=config_overrides
KillWait=20
MinJobAge=3600
{node_lines}
PartitionName=debug Nodes={",".join(nodes)} Default=YES MaxTime=INFINITE State=UP
"""


class Cluster:
    def __init__(self, root: Path, env: dict):
        self.root, self.env = root, env

    def run(self, *cmd: str, cwd: Path | None = None) -> str:
        proc = subprocess.run(cmd, env=self.env, cwd=cwd, capture_output=True, text=True, timeout=60)
        assert proc.returncode == 0, f"{' '.join(cmd)}: {proc.stdout}{proc.stderr}"
        return proc.stdout

    def sbatch(self, repo: Path, *args: str, env: dict | None = None) -> str:
        proc = subprocess.run(["sbatch", "--parsable", *args], env={**self.env, **(env or {})}, cwd=repo,
                              capture_output=True, text=True, timeout=60)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        return proc.stdout.strip().split(";")[0]

    def job(self, job_id: str) -> list[dict]:
        """Every record (array tasks too) of `scontrol show job` as dicts of its key=value fields."""
        out = self.run("scontrol", "-o", "show", "job", job_id)
        return [dict(f.split("=", 1) for f in line.split() if "=" in f) for line in out.splitlines() if line]

    def wait(self, job_id: str, timeout: float = 300) -> list[dict]:
        """Poll until every record of the job (each array task) has ended; return the records."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            records = self.job(job_id)
            if all(r["JobState"] in TERMINAL for r in records):
                return records
            time.sleep(1)
        raise AssertionError(f"job {job_id} not done after {timeout} s: {records}\n{self.diagnostics()}")

    def diagnostics(self) -> str:
        logs = [p for p in self.root.glob("*.log")]
        return "\n".join(f"--- {p.name}\n" + p.read_text(errors="replace")[-3000:] for p in logs)


def _start(cmd: list[str], env: dict, procs: list) -> None:
    procs.append(subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT))


def _wait_idle(cluster: Cluster, nodes: int) -> None:
    deadline = time.time() + 60
    while time.time() < deadline:
        out = subprocess.run(["sinfo", "-h", "-N", "-o", "%T"], env=cluster.env, capture_output=True, text=True)
        if out.stdout.split() == ["idle"] * nodes:
            return
        time.sleep(0.5)
    raise AssertionError(f"the nodes never became idle: {cluster.diagnostics()}")


@contextmanager
def slurm_cluster(root: Path, nodes: list[str] | None = None, cpus: int = 2, proctrack: str = "linuxproc",
                  extra_files: dict[str, str] | None = None) -> Iterator[Cluster]:
    """munged, slurmctld and one slurmd per node (default: one node named after this host), all stopped at the
    end. `extra_files` are written next to slurm.conf (e.g. cgroup.conf)."""
    missing = [b for b in ("munged", "slurmctld", "slurmd", "sbatch") if shutil.which(b) is None]
    assert not missing, (f"{', '.join(missing)} not found: install the packages in scripts/system-packages.txt "
                         "(bash scripts/setup_system.sh)")
    nodes = nodes or [socket.gethostname()]  # node names must resolve where they are the rendezvous host
    os.chmod(root, 0o755)  # munged refuses a socket in a directory others cannot traverse
    (root / "state").mkdir()
    (root / "munge.key").write_bytes(os.urandom(1024))
    os.chmod(root / "munge.key", 0o600)
    (root / "slurm.conf").write_text(_conf(root, nodes, cpus, proctrack))
    for name, text in (extra_files or {}).items():
        (root / name).write_text(text)
    env = {**os.environ, "SLURM_CONF": str(root / "slurm.conf")}
    procs: list[subprocess.Popen] = []
    try:
        _start(["munged", "--foreground", "--force", f"--socket={root}/munge.sock", f"--key-file={root}/munge.key",
                f"--log-file={root}/munged.log", f"--pid-file={root}/munged.pid",
                f"--seed-file={root}/munged.seed"], env, procs)
        deadline = time.time() + 20
        while not (root / "munge.sock").exists() and time.time() < deadline:
            time.sleep(0.2)
        _start(["slurmctld", "-D", "-c", "-f", str(root / "slurm.conf")], env, procs)
        for name in nodes:
            _start(["slurmd", "-D", "-N", name, "-f", str(root / "slurm.conf")], env, procs)
        cluster = Cluster(root, env)
        _wait_idle(cluster, len(nodes))
        yield cluster
    finally:
        subprocess.run(["scancel", "--full", "-u", "root"], env=env, capture_output=True, timeout=30)
        for p in reversed(procs):  # the slurmd, slurmctld, munged: every daemon started here
            p.terminate()
        for p in reversed(procs):
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(timeout=10)


def copy_repo(dest: Path) -> Path:
    """The repository as a fresh clone has it: git's files (and new files not yet committed), nothing ignored."""
    files = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=REPO,
                           capture_output=True, check=True).stdout.decode().split("\0")
    for name in filter(None, files):
        src = REPO / name
        if src.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / name)
    return dest


def job_env() -> dict:
    return {"MMED_VENV": sys.prefix, "PYTHONPATH": ""}


def log(repo: Path, pattern: str) -> str:
    return "\n".join(p.read_text(errors="replace") for p in sorted((repo / "logs").glob(pattern)))


def losses(run: Path) -> dict[int, float]:
    rows = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    return {r["step"]: r["loss"] for r in rows if "loss" in r}


def wait_for_step(run: Path, step: int, timeout: float = 240) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if (run / "metrics.jsonl").exists() and max(losses(run), default=0) >= step:
            return
        time.sleep(0.2)
    raise AssertionError(f"{run} never reached step {step}")


def wait_for_text(repo: Path, pattern: str, text: str, timeout: float = 240, count: int = 1) -> None:
    deadline = time.time() + timeout
    while log(repo, pattern).count(text) < count:
        assert time.time() < deadline, f"{text!r} never in logs/{pattern}: {log(repo, pattern)}"
        time.sleep(0.5)


def stop_steps(text: str) -> list[int]:
    """The steps the trainer said it stopped at (one per stop), in order."""
    return [step for step, _ in stops(text)]


def stops(text: str) -> list[tuple[int, str]]:
    """(step, reason) of every "stopping at step N (reason): saving a checkpoint" line, in order."""
    return [(int(line.split("stopping at step ")[1].split()[0]), line.split("(", 1)[1].split(")")[0])
            for line in text.splitlines() if "stopping at step" in line]


def assert_resumed_where_stopped(text: str, reasons: list[str]) -> None:
    """The run stopped for these reasons, in order, and each next attempt resumed from the step it saved."""
    assert [reason for _, reason in stops(text)] == reasons, text
    assert [f"checkpoints/step_{s:08d} at step {s} " in text for s in stop_steps(text)] == [True] * len(reasons), text
