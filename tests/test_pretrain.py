"""pretrain.train on 2 CPU processes (gloo, FSDP2) with the tiny model: the loss drops, a killed and resumed run
is bit-identical to an uninterrupted one, and the export loads with plain transformers and generates."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from test_engine import free_port
from test_tokenize import write_corpus

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def tokens(tiny_model_dir, tmp_path_factory) -> Path:
    from pretrain.tokenize import main as tokenize

    root = tmp_path_factory.mktemp("pretrain")
    corpus = write_corpus(root / "corpus", n_docs=24)
    tokenize(["--input", str(corpus), "--tokenizer", str(tiny_model_dir), "--output", str(root / "tokens"),
              "--seq_len", "64", "--mode", "pack", "--val_ratio", "0.2"])
    return root / "tokens"


def pretrain(model_dir: Path, data: Path, out: Path, *flags: str, killed_after: int = 0) -> str:
    """The run's output; killed_after=N: every rank is SIGKILLed where step N + 1 would start (tests/killed_run.py)."""
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(REPO)}
    entry = [str(REPO / "tests" / "killed_run.py"), str(killed_after)] if killed_after else ["-m"]
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "--master_port",
           str(free_port()), *entry, "pretrain.train", "--config", str(REPO / "configs/pretrain/tiny.yaml"),
           "--model", str(model_dir), "--data", str(data), "--train.output", str(out),
           "--export_dir", str(out / "hf"), "--train.max_steps", "6", "--train.checkpoint_every", "2",
           "--train.global_batch_size", "4", "--train.micro_batch_size", "1", "--train.eval_every", "3", *flags]
    proc = subprocess.run(cmd, env=env, cwd=REPO, capture_output=True, text=True, timeout=300)
    killed = "Signal 9 (SIGKILL)" in proc.stderr
    assert (proc.returncode, killed) == ((1, True) if killed_after else (0, False)), \
        proc.stdout[-3000:] + proc.stderr[-5000:]
    return proc.stdout + proc.stderr


@pytest.fixture(scope="module")
def full_run(tiny_model_dir, tokens, tmp_path_factory) -> Path:
    """An uninterrupted 6-step run on 2 processes."""
    out = tmp_path_factory.mktemp("full")
    pretrain(tiny_model_dir, tokens, out)
    return out


def losses(out: Path) -> list[float]:
    return [r["loss"] for r in map(json.loads, (out / "metrics.jsonl").read_text().splitlines()) if "loss" in r]


def checkpoint_tensors(step_dir: Path, tmp: Path) -> dict[str, torch.Tensor]:
    from torch.distributed.checkpoint.format_utils import dcp_to_torch_save

    dcp_to_torch_save(str(step_dir), str(tmp))
    state = torch.load(tmp, weights_only=True)
    flat = {f"model.{k}": v for k, v in state["model"].items()}
    for fqn, per_param in state["optim"]["state"].items():
        flat.update({f"optim.{fqn}.{k}": torch.as_tensor(v) for k, v in per_param.items()})
    return flat


@pytest.mark.slow
def test_killed_run_resumes_bit_identical_and_exports(tiny_model_dir, tokens, full_run, tmp_path):
    full, cut = full_run, tmp_path / "cut"
    # killed after step 3 (last checkpoint: step 2), then the same command again
    pretrain(tiny_model_dir, tokens, cut, killed_after=3)
    assert not (cut / "hf").exists()
    log = pretrain(tiny_model_dir, tokens, cut)
    assert "resumed from" in log and "step_00000002" in log

    a = checkpoint_tensors(full / "checkpoints" / "step_00000006", tmp_path / "a.pt")
    b = checkpoint_tensors(cut / "checkpoints" / "step_00000006", tmp_path / "b.pt")
    assert any(k.endswith("exp_avg_sq") for k in a) and sorted(a) == sorted(b)
    assert [k for k in a if not torch.equal(a[k], b[k])] == []  # parameters and optimizer state
    assert losses(full) == losses(cut) and len(losses(full)) == 6
    assert losses(full)[-1] < losses(full)[0]
    rows = [json.loads(line) for line in (full / "metrics.jsonl").read_text().splitlines()]
    assert {"val_loss_en", "val_loss_fr"} <= set(rows[-1]) and rows[0]["tokens_per_s"] > 0

    # the export is a plain HF dir: load and generate in a process that cannot import this codebase
    script = ("import sys, torch; from transformers import AutoModelForCausalLM, AutoTokenizer\n"
              "tok = AutoTokenizer.from_pretrained(sys.argv[1]); m = AutoModelForCausalLM.from_pretrained(sys.argv[1])\n"
              "ids = tok('the patient', return_tensors='pt')\n"
              "out = m.generate(**ids, max_new_tokens=5, do_sample=False)\n"
              "print(out.shape[1] - ids['input_ids'].shape[1])\n"
              "assert not [m for m in sys.modules if m.split('.')[0] in ('common', 'pretrain')]\n")
    proc = subprocess.run([sys.executable, "-c", script, str(cut / "hf")], cwd=tmp_path, capture_output=True,
                          text=True, env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"}, timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.strip().splitlines()[-1] == "5"
    assert list((cut / "hf").glob("*.safetensors")) and (cut / "manifest.json").exists()


@pytest.mark.slow
def test_export_from_checkpoint_matches_end_of_training_export(tiny_model_dir, full_run, tmp_path):
    """pretrain.export (one process, no torchrun) on a finished run gives the same tensors as its own export."""
    from safetensors.torch import load_file

    from pretrain.export import main as export

    out = full_run
    export(["--checkpoint", str(out), "--model", str(tiny_model_dir), "--output", str(tmp_path / "exported")])
    a = load_file(tmp_path / "exported" / "model.safetensors")
    b = load_file(out / "hf" / "model.safetensors")
    assert sorted(a) == sorted(b) and all(torch.equal(a[k], b[k]) for k in a)
