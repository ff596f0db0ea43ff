"""finetune.run end to end on the tiny model: LoRA (loss falls, only the adapter is trained, adapter loads and
merges), full fine-tuning that learns the answer format, torchrun + FSDP2 with 2 processes, bad records."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from killed_run import Killed, killed_after
from safetensors import safe_open
from test_finetune_data import QUESTIONS, ft_model_dir, tokenizer, write_train_dir  # noqa: F401

from common.prompts import build_prompt, format_response
from common.records import BadRecordError
from finetune.run import main as finetune_main

REPO = Path(__file__).resolve().parent.parent
# a random tiny model barely moves through q_proj/v_proj alone: the test adapts every linear layer of the decoder
LORA_TARGETS = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]


def _metrics(run_dir: Path) -> list[dict]:
    return [json.loads(x) for x in (run_dir / "metrics.jsonl").read_text().splitlines() if x.strip()]


def _common_flags(model_dir: Path, train_dir: Path, out: Path) -> list[str]:
    return ["--model", str(model_dir), "--data.train_dir", str(train_dir), "--train.output", str(out),
            "--data.max_seq_len", "384", "--data.on_bad_record", "error", "--train.tensorboard", "false",
            "--train.checkpoint_every", "0", "--train.warmup_ratio", "0", "--train.weight_decay", "0"]


def _lora_flags(model_dir: Path, train_dir: Path, out: Path) -> list[str]:
    return ["--config", str(REPO / "configs/finetune/tiny_lora.yaml"), *_common_flags(model_dir, train_dir, out),
            "--lora.r", "8", "--lora.alpha", "16", "--lora.dropout", "0", "--train.lr", "1e-2",
            "--lora.target_modules", ",".join(LORA_TARGETS), "--train.global_batch_size", "10",
            "--train.micro_batch_size", "5", "--train.max_steps", "15", "--train.lr_schedule", "cosine"]


@pytest.fixture(scope="module")
def lora_run(tmp_path_factory, ft_model_dir):  # noqa: F811
    root = tmp_path_factory.mktemp("lora")
    train = write_train_dir(root)
    out = root / "run"
    finetune_main(_lora_flags(ft_model_dir, train, out))
    return out


def test_lora_loss_falls_and_only_the_adapter_is_trained(lora_run):
    losses = [row["loss"] for row in _metrics(lora_run) if "loss" in row]
    assert len(losses) == 15
    # the random tiny model starts near ln(vocab); frozen head and embeddings let LoRA lower it only so far
    assert losses[-1] < losses[0] - 0.5 and sum(losses[-3:]) < sum(losses[:3]) - 1.5
    manifest = json.loads((lora_run / "manifest.json").read_text())
    counts = manifest["counts"]
    assert 0 < counts["trainable_params"] < counts["params"] / 10
    assert counts["examples_rationale"] == counts["examples_answer"] == 5
    adapter = lora_run / "adapter"
    assert (adapter / "adapter_config.json").exists() and not (adapter / "model.safetensors").exists()
    with safe_open(adapter / "adapter_model.safetensors", "pt") as f:
        keys = list(f.keys())
        assert keys and all("lora_A" in k or "lora_B" in k for k in keys)
        assert {k.split(".lora_")[0].rsplit(".", 1)[-1] for k in keys} == set(LORA_TARGETS)
        assert any(f.get_tensor(k).abs().sum() > 0 for k in keys if "lora_B" in k)  # B starts at zero


def test_lora_adapter_loads_with_autopeft_and_merges_to_the_same_outputs(lora_run, ft_model_dir, tokenizer,  # noqa: F811
                                                                         tmp_path):
    from peft import AutoPeftModelForCausalLM
    from transformers import AutoModelForCausalLM

    from finetune.merge import main as merge_main

    merged_dir = tmp_path / "merged"
    merge_main(["--base", str(ft_model_dir), "--adapter", str(lora_run / "adapter"), "--output", str(merged_dir)])
    _, q = QUESTIONS[1]
    ids = tokenizer(build_prompt(q["question"], q["options"], "English", "answer"), return_tensors="pt").input_ids
    with torch.no_grad():
        peft_model = AutoPeftModelForCausalLM.from_pretrained(lora_run / "adapter").eval()
        merged = AutoModelForCausalLM.from_pretrained(merged_dir).eval()
        base = AutoModelForCausalLM.from_pretrained(ft_model_dir).eval()
        torch.testing.assert_close(merged(ids).logits, peft_model(ids).logits, atol=1e-4, rtol=1e-4)
        assert not torch.allclose(merged(ids).logits, base(ids).logits, atol=1e-3)
    # merging only touched the adapted projections
    base_sd, merged_sd = base.state_dict(), merged.state_dict()
    changed = {k for k in base_sd if not torch.equal(base_sd[k], merged_sd[k])}
    assert changed and all(k.endswith(tuple(f"{t}.weight" for t in LORA_TARGETS)) for k in changed)
    assert not any("norm" in k or "embed" in k for k in changed)


def test_killed_lora_run_resumes_to_the_same_adapter(lora_run, ft_model_dir, tmp_path):  # noqa: F811
    train = write_train_dir(tmp_path)
    out = tmp_path / "run"
    flags = [*_lora_flags(ft_model_dir, train, out), "--train.checkpoint_every", "5"]
    with killed_after(7), pytest.raises(Killed):  # last checkpoint at step 5
        finetune_main(flags)
    assert not (out / "adapter").exists()
    finetune_main(flags)
    with safe_open(out / "adapter" / "adapter_model.safetensors", "pt") as resumed, \
            safe_open(lora_run / "adapter" / "adapter_model.safetensors", "pt") as straight:
        assert set(resumed.keys()) == set(straight.keys())
        for key in straight.keys():
            torch.testing.assert_close(resumed.get_tensor(key), straight.get_tensor(key))
    assert [row["step"] for row in _metrics(out)] == list(range(1, 16))
    with pytest.raises(ValueError, match=r"was made with other settings \(data.modes: "):
        finetune_main([*flags, "--data.modes", "answer"])  # another recipe must not resume these checkpoints
    with pytest.raises(ValueError, match="train.global_batch_size: 10 -> 5"):  # another batch: other data order
        finetune_main([*flags, "--train.global_batch_size", "5", "--train.max_steps", "20"])


def test_full_finetune_overfits_to_the_answer_format(tmp_path, ft_model_dir, tokenizer):  # noqa: F811
    from transformers import AutoModelForCausalLM

    train = write_train_dir(tmp_path)
    out = tmp_path / "run"
    finetune_main(["--config", str(REPO / "configs/finetune/tiny_full.yaml"), *_common_flags(ft_model_dir, train, out),
                   "--data.modes", "answer", "--train.lr", "3e-3", "--train.global_batch_size", "5",
                   "--train.micro_batch_size", "5", "--train.max_steps", "80", "--train.lr_schedule", "constant",
                   "--train.activation_checkpointing", "false"])
    model = AutoModelForCausalLM.from_pretrained(out / "model").eval()
    right = 0
    for language, q in QUESTIONS:
        prompt = build_prompt(q["question"], q["options"], language, "answer")
        ids = tokenizer(prompt, return_tensors="pt")
        with torch.no_grad():
            gen = model.generate(**ids, do_sample=False, max_new_tokens=40, pad_token_id=tokenizer.pad_token_id)
        output = tokenizer.decode(gen[0, ids.input_ids.shape[1]:], skip_special_tokens=True)
        right += output == format_response("answer", q["answer_idx"].split(","))
    print(f"overfit: {right} of {len(QUESTIONS)} exact")
    assert right >= 4, f"only {right} of {len(QUESTIONS)} answers exact"


@pytest.mark.slow
@pytest.mark.parametrize("config, result", [("tiny_full.yaml", "model"), ("tiny_lora.yaml", "adapter")])
def test_torchrun_two_processes_exports_a_loadable_result(tmp_path, ft_model_dir, config, result):  # noqa: F811
    """full: FSDP2 over gloo (rank 1 starts on the meta device); LoRA: data parallel (DDP)."""
    from peft import AutoPeftModelForCausalLM
    from transformers import AutoModelForCausalLM

    train = write_train_dir(tmp_path)
    out = tmp_path / "run"
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
           "-m", "finetune.run", "--config", str(REPO / "configs/finetune" / config),
           *_common_flags(ft_model_dir, train, out), "--train.global_batch_size", "4",
           "--train.micro_batch_size", "2", "--train.max_steps", "3"]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    proc = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-4000:]
    loader = AutoModelForCausalLM if result == "model" else AutoPeftModelForCausalLM
    model = loader.from_pretrained(out / result)
    assert model.config.num_hidden_layers == 2
    assert [row["step"] for row in _metrics(out)] == [1, 2, 3]
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["counts"]["questions"] == 5 and manifest["result"] == str(out / result)


def test_bad_record_stops_the_run_with_file_and_line(tmp_path, ft_model_dir):  # noqa: F811
    train = write_train_dir(tmp_path)
    with open(train / "Chinese.jsonl", "a", encoding="utf-8") as f:
        f.write("{not json\n")
    with pytest.raises(BadRecordError, match=r"Chinese\.jsonl:3: invalid JSON"):
        finetune_main(["--config", str(REPO / "configs/finetune/tiny_lora.yaml"),
                       *_common_flags(ft_model_dir, train, tmp_path / "run")])
