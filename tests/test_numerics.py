"""Training numerics against an independent reference. One engine step (FSDP2, and DDP on 2 ranks; fp32,
CPU/gloo) on 1 rank x 4 micro-batches and on 2 ranks x 2 micro-batches, with train.grad_sync every_micro_batch and
last_micro_batch, on micro-batches holding very different numbers of target tokens (fine-tuning examples padded
together, and a pretraining block): the gradients the optimizer receives, the logged loss and the logged gradient
norm equal those of the step's summed token loss divided by its number of target tokens, computed here on the
plain HF model one unpadded example at a time."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F

from common.trainer import StepSampler
from finetune.data import FinetuneDataConfig, build_dataset

WORKER = Path(__file__).with_name("numerics_worker.py")
SAMPLES_TRAIN = Path(__file__).resolve().parent.parent / "samples" / "mmedbench" / "Train"
SEED = 42  # TrainConfig's default seed: the step's data order
PRETRAIN_TEXT = ("The patient presented with acute fever and was treated with antibiotics in the hospital; "
                 "blood cultures grew Staphylococcus aureus and the fever resolved after five days. ") * 4
GRAD_SYNC = ("every_micro_batch", "last_micro_batch")  # train.grad_sync: the result must not depend on it
# world size -> run name -> TrainConfig overrides: FSDP2 (full fine-tuning, pretraining) and, on 2 ranks, DDP (LoRA
# under torchrun), each with both grad_sync settings
RUNS = {world: {f"{world}-{par}-{sync}": {"parallelism": par, "grad_sync": sync}
                for par in (("fsdp", "ddp") if world > 1 else ("fsdp",)) for sync in GRAD_SYNC} for world in (1, 2)}


def step_examples(model_dir: Path) -> list[dict]:
    """8 examples for one step: 2 fine-tuning examples with a rationale (~100+ target tokens), 5 answer-only ones
    (~9) and a pretraining block (every label a target, the first too, though no position predicts it). Every
    split into micro-batches of 2 gives micro-batches (and ranks) with very different numbers of target tokens."""
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    data_cfg = FinetuneDataConfig(train_dir=str(SAMPLES_TRAIN), languages=["English"], max_seq_len=512)
    dataset, _ = build_dataset(data_cfg, tokenizer)
    examples = [dataset[i] for i in range(len(dataset))]
    rationale = [e for e in examples if target_count(e) > 50][:2]
    answer = [e for e in examples if target_count(e) < 20][:5]
    block = tokenizer(PRETRAIN_TEXT, add_special_tokens=False)["input_ids"][:96]
    return [{"input_ids": list(e["input_ids"]), "labels": list(e["labels"])} for e in rationale + answer] + [
        {"input_ids": block, "labels": list(block)}]


def target_count(example: dict) -> int:
    return sum(label != -100 for label in example["labels"][1:])


def reference_step(model_dir: Path, examples: list[dict]) -> tuple[float, dict[str, torch.Tensor]]:
    """The step's loss, Σ token losses of all examples / Σ target tokens, and its gradient: one unpadded example
    at a time on the plain model, no engine."""
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32)
    total = torch.zeros(())
    for e in examples:
        logits = model(input_ids=torch.tensor([e["input_ids"]])).logits[0]
        total = total + F.cross_entropy(logits[:-1], torch.tensor(e["labels"][1:]), ignore_index=-100,
                                        reduction="sum")
    loss = total / sum(target_count(e) for e in examples)
    loss.backward()
    return float(loss.detach()), {name: p.grad for name, p in model.named_parameters()}


def run_worker(model_dir: Path, examples_path: Path, runs: list[dict], nproc: int) -> None:
    from test_engine import free_port

    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(WORKER.parent.parent)}
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", str(nproc), "--master_port",
           str(free_port()), str(WORKER), str(model_dir), str(examples_path), json.dumps(runs)]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-5000:]


def micro_batch_targets(examples: list[dict], world: int) -> list[int]:
    """Target tokens of every micro-batch of step 0, over all ranks (the engine's data order)."""
    counts = []
    for rank in range(world):
        for micro in StepSampler(len(examples), len(examples), 2, world, rank, SEED).micro_batches(0):
            counts.append(sum(target_count(examples[i]) for i in micro))
    return counts


@pytest.mark.slow
def test_step_gradients_are_the_global_token_mean_on_one_and_two_ranks(tiny_model_dir, tmp_path):
    examples = step_examples(tiny_model_dir)
    examples_path = tmp_path / "examples.json"
    examples_path.write_text(json.dumps(examples))
    for world in (1, 2):  # uneven on purpose: a per-micro-batch or per-rank mean would weigh tokens unequally
        counts = micro_batch_targets(examples, world)
        assert max(counts) > 3 * min(counts), counts
    for world, runs in RUNS.items():  # 1 rank x 4 micro-batches, 2 ranks x 2 micro-batches
        run_worker(tiny_model_dir, examples_path, [{"output": str(tmp_path / name), **overrides}
                                                   for name, overrides in runs.items()], nproc=world)
    loss, reference = reference_step(tiny_model_dir, examples)
    norm = float(torch.linalg.vector_norm(torch.stack([g.norm() for g in reference.values()])))
    for run in (name for runs in RUNS.values() for name in runs):
        (logged,) = [json.loads(line) for line in (tmp_path / run / "metrics.jsonl").read_text().splitlines()]
        assert logged["loss"] == pytest.approx(loss, rel=1e-6)
        assert logged["grad_norm"] == pytest.approx(norm, rel=1e-5)
        grads = torch.load(tmp_path / run / "grads.pt", weights_only=True)
        assert set(grads) == set(reference)
        for name, ref in reference.items():
            torch.testing.assert_close(grads[name], ref, rtol=1e-4, atol=1e-7,
                                       msg=lambda m, n=name, r=run: f"{r} {n}: {m}")
