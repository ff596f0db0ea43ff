"""Our sbatch scripts on a real one-node Slurm cluster (munged, slurmctld and slurmd started here, stopped at the end).

The scripts are submitted unchanged from a fresh copy of the repository (git's files only, so `logs/` exists only
as a fresh clone has it), with the documented sbatch overrides for a small CPU node: the filter array, the tokenize
array then its assembly (a dependency), pretraining on 2 gloo processes interrupted twice (`scontrol requeue`, and
the USR1 Slurm sends before the time limit) and checked against an uninterrupted run, and the generation array.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from test_engine import free_port

REPO = Path(__file__).resolve().parent.parent
NODE = socket.gethostname()  # node names must resolve: torchrun's rendezvous host is the first node
TERMINAL = {"COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "NODE_FAIL", "OUT_OF_MEMORY", "BOOT_FAIL", "DEADLINE"}


def _conf(root: Path, ctld_port: int, slurmd_port: int) -> str:
    return f"""ClusterName=mmedtest
SlurmctldHost=localhost(127.0.0.1)
SlurmUser=root
SlurmdUser=root
SlurmctldPort={ctld_port}
SlurmdPort={slurmd_port}
AuthType=auth/munge
CredType=cred/munge
# a requeued job waits cred_expire seconds before it may start again (default 120)
AuthInfo=socket={root}/munge.sock,cred_expire=10
StateSaveLocation={root}/state
SlurmdSpoolDir={root}/spool
SlurmctldPidFile={root}/slurmctld.pid
SlurmdPidFile={root}/slurmd.pid
SlurmctldLogFile={root}/slurmctld.log
SlurmdLogFile={root}/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/backfill
SchedulerParameters=defer_batch=0
ReturnToService=2
MpiDefault=none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SlurmdParameters=config_overrides
KillWait=20
MinJobAge=3600
NodeName={NODE} NodeAddr=127.0.0.1 CPUs=2 RealMemory=8000 State=UNKNOWN
PartitionName=debug Nodes={NODE} Default=YES MaxTime=INFINITE State=UP
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


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    missing = [b for b in ("munged", "slurmctld", "slurmd", "sbatch") if shutil.which(b) is None]
    assert not missing, (f"{', '.join(missing)} not found: install the packages in scripts/system-packages.txt "
                         "(bash scripts/setup_system.sh)")
    root = tmp_path_factory.mktemp("slurm")
    os.chmod(root, 0o755)  # munged refuses a socket in a directory others cannot traverse
    for sub in ("state", "spool"):
        (root / sub).mkdir()
    (root / "munge.key").write_bytes(os.urandom(1024))
    os.chmod(root / "munge.key", 0o600)
    (root / "slurm.conf").write_text(_conf(root, free_port(), free_port()))
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
        _start(["slurmd", "-D", "-N", NODE, "-f", str(root / "slurm.conf")], env, procs)
        c = Cluster(root, env)
        deadline = time.time() + 60
        while time.time() < deadline:
            out = subprocess.run(["sinfo", "-h", "-N", "-o", "%T"], env=env, capture_output=True, text=True)
            if out.stdout.strip() == "idle":
                break
            time.sleep(0.5)
        else:
            raise AssertionError(f"the node never became idle: {c.diagnostics()}")
        yield c
    finally:
        subprocess.run(["scancel", "--full", "-u", "root"], env=env, capture_output=True, timeout=30)
        for p in reversed(procs):  # slurmd, slurmctld, munged: every daemon this fixture started
            p.terminate()
        for p in reversed(procs):
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(timeout=10)


@pytest.fixture(scope="module")
def repo_copy(tmp_path_factory) -> Path:
    """The repository as a fresh clone has it: git's files (and new files not yet committed), nothing ignored."""
    files = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=REPO,
                           capture_output=True, check=True).stdout.decode().split("\0")
    dest = tmp_path_factory.mktemp("repo")
    for name in filter(None, files):
        src = REPO / name
        if src.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / name)
    return dest


@pytest.fixture(scope="module")
def job_env() -> dict:
    return {"MMED_VENV": sys.prefix, "PYTHONPATH": ""}


def _log(repo: Path, pattern: str) -> str:
    return "\n".join(p.read_text(errors="replace") for p in sorted((repo / "logs").glob(pattern)))


def _losses(run: Path) -> dict[int, float]:
    rows = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    return {r["step"]: r["loss"] for r in rows if "loss" in r}


def _wait_for_step(run: Path, step: int, log, timeout: float = 240) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if (run / "metrics.jsonl").exists() and max(_losses(run), default=0) >= step:
            return
        time.sleep(0.2)
    raise AssertionError(f"{run} never reached step {step}")


@pytest.mark.slow
def test_sbatch_scripts_run_unchanged_on_a_one_node_cluster(cluster, repo_copy, job_env, tiny_model_dir,
                                                            tmp_path):
    repo, out = repo_copy, tmp_path
    small = ["--cpus-per-task=1", "--mem=1G"]

    # filter: an array of 2 tasks gives the documents one plain run keeps
    filt = cluster.sbatch(repo, "--array=0-1", *small, "scripts/slurm/filter_array.sbatch", "--input",
                          "samples/culturax/*/*.parquet", "--output", str(out / "filtered"), env=job_env)
    # tokenize: 2 part tasks, then the assembly once they succeed
    tok_args = ["configs/pretrain/tokenize_tiny.yaml", "--tokenizer", str(tiny_model_dir), "--output",
                str(out / "tokens"), "--seq_len", "64"]
    parts = cluster.sbatch(repo, "--array=0-1", *small, "scripts/slurm/tokenize.sbatch", *tok_args,
                           "--stage", "parts", env=job_env)
    assemble = cluster.sbatch(repo, f"--dependency=afterok:{parts}", *small, "scripts/slurm/tokenize.sbatch",
                              *tok_args, "--stage", "assemble", env=job_env)
    for job in (filt, parts, assemble):
        assert {r["JobState"] for r in cluster.wait(job)} == {"COMPLETED"}, _log(repo, "*.out")
    plain = subprocess.run([sys.executable, "-m", "data_collection.filter", "--config",
                            "configs/data_collection/filter.yaml", "--input", "samples/culturax/*/*.parquet",
                            "--output", str(out / "filtered_plain"), "--progress", "false"], cwd=repo,
                           capture_output=True, text=True, timeout=300)
    assert plain.returncode == 0, plain.stderr[-3000:]
    assert _kept_ids(out / "filtered") == _kept_ids(out / "filtered_plain") != set()
    from datasets import load_from_disk

    tokens = load_from_disk(str(out / "tokens"))  # the root is a DatasetDict (dataset_dict.json)
    assert set(tokens) == {"train", "validation"} and len(tokens["train"]) > 8
    assert not list((repo / "logs").glob("*_4294967294*"))

    # pretrain on 2 CPU processes, requeued mid-run, then stopped by the time-limit signal, resumes exactly
    run = out / "run"
    train_args = ["configs/pretrain/tiny.yaml", "--model", str(tiny_model_dir), "--data", str(out / "tokens"),
                  "--train.output_dir", str(run), "--export_dir", str(run / "hf"), "--train.max_steps", "40",
                  "--train.checkpoint_every", "100", "--train.global_batch_size", "4",
                  "--train.micro_batch_size", "1", "--train.eval_every", "0"]
    job = cluster.sbatch(repo, "--gpus-per-node=0", "--cpus-per-task=2", "--mem=3G",
                         "scripts/slurm/pretrain.sbatch", *train_args, env={**job_env, "NPROC_PER_NODE": "2"})
    log_of_job = lambda: _log(repo, f"*-{job}.out")  # noqa: E731
    _wait_for_step(run, 4, log_of_job)
    cluster.run("scontrol", "requeue", job)
    deadline = time.time() + 240
    while "attempt 2" not in _log(repo, f"*-{job}.out") and time.time() < deadline:
        time.sleep(0.5)
    _wait_for_step(run, max(_losses(run)) + 4, log_of_job)
    cluster.run("scancel", "--batch", "--signal=USR1", job)  # what --signal=B:USR1@300 sends near the limit
    records = cluster.wait(job, timeout=300)
    log = _log(repo, f"*-{job}.out")
    assert records[0]["JobState"] == "COMPLETED", log + cluster.diagnostics()
    assert log.count("resumed from") == 2 and "attempt 3" in log, log
    assert "(signal SIGTERM): saving a checkpoint" in log and "(signal SIGUSR1): saving a checkpoint" in log, log
    stops = [int(line.split("stopping at step ")[1].split()[0]) for line in log.splitlines()
             if "stopping at step" in line]
    assert [f"step_{s:08d}" in log for s in stops] == [True, True]  # resumed from the step it saved on the signal

    reference = out / "reference"
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(repo)}
    ref = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "--master_port",
                          str(free_port()), "-m", "pretrain.train", "--config", *train_args[:1],
                          *[a if a != str(run) and a != str(run / "hf") else a.replace(str(run), str(reference))
                            for a in train_args[1:]]],
                         cwd=repo, env=env, capture_output=True, text=True, timeout=300)
    assert ref.returncode == 0, ref.stderr[-3000:]
    assert _losses(run) == _losses(reference) and len(_losses(run)) == 40
    assert (run / "hf" / "model.safetensors").exists()

    # generation: an array of 2 shards answers every question once
    preds = out / "preds"
    gen = cluster.sbatch(repo, "--array=0-1", "--gpus-per-task=0", *small, "scripts/slurm/generate.sbatch",
                         "configs/inference/tiny.yaml", "--model", str(tiny_model_dir), "--output_dir", str(preds),
                         "--modes", "answer", "--max_new_tokens", "8", "--limit", "3", env=job_env)
    assert {r["JobState"] for r in cluster.wait(gen)} == {"COMPLETED"}, _log(repo, "mmed-generate*")
    shards = sorted(p.name for p in preds.glob("predictions-*.jsonl"))
    assert shards == ["predictions-00000-of-00002.jsonl", "predictions-00001-of-00002.jsonl"]
    ids = [json.loads(line)["id"] for p in preds.glob("predictions-*.jsonl") for line in p.read_text().splitlines()]
    assert len(ids) == len(set(ids)) == 6 * 3


def _kept_ids(folder: Path) -> set[str]:
    import pyarrow.parquet as pq

    return {i for p in (folder / "documents").rglob("*.parquet") for i in pq.read_table(p, columns=["id"])["id"]
            .to_pylist()}
