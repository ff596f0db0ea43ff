"""Our sbatch scripts on a real one-node Slurm cluster (munged, slurmctld and slurmd started here, stopped at the end).

The scripts are submitted unchanged from a fresh copy of the repository (git's files only, so `logs/` exists only
as a fresh clone has it), with the documented sbatch overrides for a small CPU node: the filter array, the tokenize
array then its assembly (a dependency), pretraining on 2 gloo processes interrupted twice (`scontrol requeue`, and
a USR1 to its step, under ProctrackType=proctrack/linuxproc) and checked against an uninterrupted run, and the
generation array. tests/test_slurm_multinode.py runs two nodes under proctrack/pgid, tests/test_slurm_signals.py
the time-limit signal and proctrack/cgroup; tests/slurm_helpers.py starts the clusters.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from slurm_helpers import copy_repo, slurm_cluster, stop_steps, wait_for_step, wait_for_text
from slurm_helpers import job_env as _job_env
from slurm_helpers import log as _log
from slurm_helpers import losses as _losses
from test_engine import free_port


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    with slurm_cluster(tmp_path_factory.mktemp("slurm"), proctrack="linuxproc") as c:
        yield c


@pytest.fixture(scope="module")
def repo_copy(tmp_path_factory) -> Path:
    return copy_repo(tmp_path_factory.mktemp("repo"))


@pytest.fixture(scope="module")
def job_env() -> dict:
    return _job_env()


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

    # pretrain on 2 CPU processes (proctrack/linuxproc): requeued mid-run (SIGTERM), then stopped by a USR1 to its
    # step (which reaches every process here); each time it saves, requeues and resumes where it stopped; it ends
    # COMPLETED once finished and is not requeued again
    run = out / "run"
    train_args = ["configs/pretrain/tiny.yaml", "--model", str(tiny_model_dir), "--data", str(out / "tokens"),
                  "--train.output", str(run), "--export_dir", str(run / "hf"), "--train.max_steps", "40",
                  "--train.checkpoint_every", "100", "--train.global_batch_size", "4",
                  "--train.micro_batch_size", "1", "--train.eval_every", "0"]
    job = cluster.sbatch(repo, "--gpus-per-node=0", "--cpus-per-task=2", "--mem=3G",
                         "scripts/slurm/pretrain.sbatch", *train_args, env={**job_env, "NPROC_PER_NODE": "2"})
    pattern = f"*-{job}.out"
    wait_for_step(run, 4)
    cluster.run("scontrol", "requeue", job)
    wait_for_text(repo, pattern, "attempt 2")
    wait_for_step(run, stop_steps(_log(repo, pattern))[0] + 4)
    cluster.run("scancel", "--signal=USR1", job)  # the job's steps, not the batch script
    records = cluster.wait(job, timeout=300)
    log = _log(repo, pattern)
    assert records[0]["JobState"] == "COMPLETED" and records[0]["Restarts"] == "2", log + cluster.diagnostics()
    assert log.count("resumed from") == 2 and "attempt 3" in log and "attempt 4" not in log, log
    assert "(signal SIGTERM): saving a checkpoint" in log and "(signal SIGUSR1): saving a checkpoint" in log, log
    assert "requeueing job" in log and "training finished" in log, log
    stops = stop_steps(log)
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
                         "configs/inference/tiny.yaml", "--model", str(tiny_model_dir), "--output", str(preds),
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
