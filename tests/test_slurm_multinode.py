"""Our sbatch scripts on a real two-node Slurm cluster on this machine (two slurmd, `slurmd -N node1` and
`-N node2`, on 127.0.0.1 with their own ports; munged and slurmctld; all started here) with
ProctrackType=proctrack/pgid, under which no signal sent to a job step reaches torchrun's workers (they run in
sessions of their own).

Resubmitting the tokenize parts array (a task on each node) of an assembled dataset does nothing. Pretraining runs
on both nodes (c10d rendezvous on the first, gloo, one process per node), is requeued mid-run (SIGTERM), then
stopped with `scancel --signal=USR1` of its step and with `scancel --batch --signal=USR1` (each: a checkpoint and a
requeue of its own), runs to the end, ends COMPLETED and is not requeued again; its losses are those of one
uninterrupted one-node run of the same world size. The USR1 Slurm sends before the time limit stops a run the same
way. LoRA fine-tuning runs on both nodes, and its adapter loads from another working directory by its recorded
base model path.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from slurm_helpers import (
    assert_resumed_where_stopped,
    copy_repo,
    job_env,
    log,
    losses,
    slurm_cluster,
    stop_steps,
    stops,
    wait_for_step,
    wait_for_text,
)
from test_engine import free_port

NODES = ["node1", "node2"]
TWO_NODES = ["--nodes=2", "--gpus-per-node=0", "--cpus-per-task=1", "--mem=2G"]


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    with slurm_cluster(tmp_path_factory.mktemp("slurm2"), nodes=NODES, cpus=1, proctrack="pgid") as c:
        yield c


@pytest.fixture(scope="module")
def repo(tmp_path_factory, tiny_model_dir):
    dest = copy_repo(tmp_path_factory.mktemp("repo"))
    # the configs' relative model path, as a clone that built its tiny model has it
    (dest / "artifacts").mkdir(exist_ok=True)
    (dest / "artifacts" / "tiny-llama").symlink_to(tiny_model_dir)
    return dest


@pytest.fixture(scope="module")
def tokens(repo, tmp_path_factory):
    """The tiny corpus tokenized and assembled (one plain run; tests/test_slurm.py runs the array and assembly)."""
    out = tmp_path_factory.mktemp("tokens") / "tokens"
    tok = subprocess.run([sys.executable, "-m", "pretrain.tokenize", "--config", "configs/pretrain/tokenize_tiny.yaml",
                          "--output", str(out), "--seq_len", "64"], cwd=repo, capture_output=True, text=True,
                         timeout=300)
    assert tok.returncode == 0, tok.stderr[-3000:]
    return out


@pytest.mark.slow
def test_two_node_pretrain_requeues_and_resumes_exactly(cluster, repo, tokens, tmp_path):
    # resubmitting the parts array of the assembled dataset (a task per node) tokenizes nothing
    meta = (tokens / "meta.json").read_text()
    parts = cluster.sbatch(repo, "--array=0-1", "--cpus-per-task=1", "--mem=1G", "scripts/slurm/tokenize.sbatch",
                           "configs/pretrain/tokenize_tiny.yaml", "--output", str(tokens), "--seq_len", "64",
                           "--stage", "parts", env=job_env())
    records = cluster.wait(parts)
    again = log(repo, f"mmed-tokenize-{parts}_*.out")
    assert {r["JobState"] for r in records} == {"COMPLETED"} and {r["NodeList"] for r in records} == set(NODES)
    assert again.count("already tokenized") == 2 and "tokenized now" not in again, again
    assert (tokens / "meta.json").read_text() == meta
    assert sorted(p.name for p in (repo / "logs").glob("mmed-tokenize-*")) == [
        f"mmed-tokenize-{parts}_0.out", f"mmed-tokenize-{parts}_1.out"]

    run = tmp_path / "run"
    train_args = ["configs/pretrain/tiny.yaml", "--data", str(tokens), "--train.output", str(run),
                  "--export_dir", str(run / "hf"), "--train.max_steps", "30", "--train.checkpoint_every", "100",
                  "--train.global_batch_size", "4", "--train.micro_batch_size", "1", "--train.eval_every", "0"]
    job = cluster.sbatch(repo, *TWO_NODES, "scripts/slurm/pretrain.sbatch", *train_args,
                         env={**job_env(), "NPROC_PER_NODE": "1"})
    pattern = f"mmed-pretrain-{job}.out"
    wait_for_step(run, 3)
    cluster.run("scontrol", "requeue", job)  # SIGTERM to the batch script and the step's process groups
    wait_for_text(repo, pattern, "attempt 2")
    wait_for_step(run, stop_steps(log(repo, pattern))[0] + 3)
    cluster.run("scancel", "--signal=USR1", job)  # the step only: under pgid it reaches the launchers, no worker
    wait_for_text(repo, pattern, "attempt 3")
    wait_for_step(run, stop_steps(log(repo, pattern))[1] + 3)
    cluster.run("scancel", "--batch", "--signal=USR1", job)  # the batch script alone, as --signal=B:USR1 does
    records = cluster.wait(job, timeout=300)
    text = log(repo, pattern)
    assert records[0]["JobState"] == "COMPLETED" and records[0]["Restarts"] == "3", text + cluster.diagnostics()
    assert "attempt 4" in text and "attempt 5" not in text and "training finished" in text, text
    assert_resumed_where_stopped(text, ["signal SIGTERM", "signal SIGUSR1", "signal SIGUSR1"])
    assert "2 node(s) x 1 process(es), rendezvous 127.0.0.1" in text

    reference = tmp_path / "reference"
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(repo)}
    ref_args = [str(reference) if a == str(run) else str(reference / "hf") if a == str(run / "hf") else a
                for a in train_args]
    ref = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "--master_port",
                          str(free_port()), "-m", "pretrain.train", "--config", *ref_args],
                         cwd=repo, env=env, capture_output=True, text=True, timeout=300)
    assert ref.returncode == 0, ref.stderr[-3000:]
    assert losses(run) == losses(reference) and len(losses(run)) == 30
    assert (run / "hf" / "model.safetensors").exists()


@pytest.mark.slow
def test_time_limit_signal_stops_a_two_node_run_which_requeues_and_resumes(cluster, repo, tokens, tmp_path):
    """The USR1 Slurm sends the batch script before the time limit (--signal=B:USR1@120): a checkpoint, a requeue
    of its own, and the next attempt resumes there; never TIMEOUT. The limit is shortened while the job runs, so
    that the signal is due at Slurm's next check of the limits (every 30 s) with 50 to 110 s left."""
    run = tmp_path / "run"
    job = cluster.sbatch(repo, *TWO_NODES, "--time=10", "--signal=B:USR1@120", "scripts/slurm/pretrain.sbatch",
                         "configs/pretrain/tiny.yaml", "--data", str(tokens), "--train.output", str(run),
                         "--train.max_steps", "100000", "--train.checkpoint_every", "0", "--train.eval_every", "0",
                         "--train.global_batch_size", "2", "--train.micro_batch_size", "1",
                         env={**job_env(), "NPROC_PER_NODE": "1"})
    pattern = f"mmed-pretrain-{job}.out"
    wait_for_step(run, 1)
    h, m, sec = ([0, 0] + [int(x) for x in cluster.job(job)[0]["RunTime"].split("-")[-1].split(":")])[-3:]
    cluster.run("scontrol", "update", f"JobId={job}", f"TimeLimit={(3600 * h + 60 * m + sec + 110) // 60}")
    wait_for_text(repo, pattern, "requeueing job")
    cluster.run("scontrol", "update", f"JobId={job}", "TimeLimit=10")
    wait_for_text(repo, pattern, "resumed from")
    cluster.run("scancel", job)
    records = cluster.wait(job, timeout=120)
    text = log(repo, pattern)
    assert records[0]["JobState"] == "CANCELLED" and records[0]["Restarts"] == "1", text + cluster.diagnostics()
    assert "USR1: asking the workers to save a checkpoint and stop" in text, text
    (step, reason), cancelled = stops(text)  # the scancel's SIGTERM saved a checkpoint too
    assert reason == "signal SIGUSR1" and f"checkpoints/step_{step:08d} at step {step} " in text, text
    assert cancelled[1] == "signal SIGTERM" and cancelled[0] > step, text


@pytest.mark.slow
def test_two_node_lora_finetune_adapter_loads_from_anywhere(cluster, repo, tmp_path, monkeypatch):
    out = tmp_path / "ft"
    job = cluster.sbatch(repo, *TWO_NODES, "scripts/slurm/finetune.sbatch", "configs/finetune/tiny_lora.yaml",
                         "--train.output", str(out), "--train.max_steps", "4", "--train.checkpoint_every", "0",
                         "--train.tensorboard", "false", env={**job_env(), "NPROC_PER_NODE": "1"})
    records = cluster.wait(job, timeout=300)
    text = log(repo, f"mmed-finetune-{job}.out")
    assert records[0]["JobState"] == "COMPLETED" and records[0]["Restarts"] == "0", text + cluster.diagnostics()
    assert "2 node(s) x 1 process(es)" in text and "training finished" in text, text
    config = json.loads((out / "adapter" / "adapter_config.json").read_text())
    # the config said artifacts/tiny-llama, relative to the submit dir: recorded absolute
    assert config["base_model_name_or_path"] == str((repo / "artifacts" / "tiny-llama").resolve())
    from peft import AutoPeftModelForCausalLM

    monkeypatch.chdir(tmp_path)  # nothing named artifacts/ here: a relative base path would go to the hub
    model = AutoPeftModelForCausalLM.from_pretrained(str(out / "adapter"))
    assert model.peft_config["default"].r == 16
