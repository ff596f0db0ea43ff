"""LoRA against its formula: an adapter trained by finetune.run changes each adapted weight by exactly
(alpha / r) * B @ A, as applied by PEFT at inference and as written by finetune.merge, both compared with that
product computed here from the saved A and B and the configured alpha and r (not through PEFT)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from safetensors import safe_open
from safetensors.torch import load_file
from test_finetune_data import QUESTIONS, ft_model_dir, tokenizer, write_train_dir  # noqa: F401

from common.prompts import build_prompt
from finetune.merge import main as merge_main
from finetune.run import main as finetune_main

REPO = Path(__file__).resolve().parent.parent
R, ALPHA = 4, 12  # scaling 3: a run that used alpha = r (scaling 1) or alpha / sqrt(r) (6) gives other weights
TARGETS = ("q_proj", "v_proj")


@pytest.fixture(scope="module")
def adapter(tmp_path_factory, ft_model_dir) -> Path:  # noqa: F811
    root = tmp_path_factory.mktemp("lora-formula")
    out = root / "run"
    finetune_main(["--config", str(REPO / "configs/finetune/tiny_lora.yaml"), "--model", str(ft_model_dir),
                   "--data.train_dir", str(write_train_dir(root)), "--train.output", str(out),
                   "--data.max_seq_len", "384", "--train.tensorboard", "false", "--train.checkpoint_every", "0",
                   "--lora.r", str(R), "--lora.alpha", str(ALPHA), "--lora.dropout", "0",
                   "--lora.target_modules", ",".join(TARGETS), "--train.global_batch_size", "10",
                   "--train.micro_batch_size", "5", "--train.max_steps", "2", "--train.warmup_ratio", "0"])
    return out / "adapter"


def formula_weights(base_dir: Path, adapter_dir: Path) -> dict[str, torch.Tensor]:
    """Base weights with W + (ALPHA / R) * B @ A for every adapted projection, from the saved tensors."""
    weights = load_file(base_dir / "model.safetensors")
    with safe_open(adapter_dir / "adapter_model.safetensors", "pt") as f:
        lora = {k: f.get_tensor(k) for k in f.keys()}
    prefixes = {k.split(".lora_")[0] for k in lora}
    assert {p.rsplit(".", 1)[-1] for p in prefixes} == set(TARGETS)
    for prefix in prefixes:
        a, b = lora[f"{prefix}.lora_A.weight"], lora[f"{prefix}.lora_B.weight"]
        assert a.shape[0] == R and b.shape[1] == R
        delta = (ALPHA / R) * (b.double() @ a.double())
        assert delta.abs().max() > 1e-3  # trained: B moved away from its zero start
        name = prefix.removeprefix("base_model.model.") + ".weight"
        weights[name] = (weights[name].double() + delta).float()
    return weights


def test_adapter_records_the_configured_scaling(adapter):
    config = json.loads((adapter / "adapter_config.json").read_text())
    assert (config["r"], config["lora_alpha"], config.get("use_rslora", False)) == (R, ALPHA, False)


def test_merged_weights_are_base_plus_scaled_product(adapter, ft_model_dir, tmp_path):  # noqa: F811
    merged = tmp_path / "merged"
    merge_main(["--base", str(ft_model_dir), "--adapter", str(adapter), "--output", str(merged)])
    expected = formula_weights(ft_model_dir, adapter)
    got = load_file(merged / "model.safetensors")
    assert set(got) == set(expected)
    for name, weight in expected.items():
        torch.testing.assert_close(got[name], weight, rtol=1e-5, atol=1e-6, msg=lambda m, n=name: f"{n}: {m}")


def test_adapter_at_inference_equals_the_formula_model(adapter, ft_model_dir, tokenizer):  # noqa: F811
    from peft import AutoPeftModelForCausalLM
    from transformers import AutoModelForCausalLM

    _, q = QUESTIONS[0]
    ids = tokenizer(build_prompt(q["question"], q["options"], "English", "answer"), return_tensors="pt").input_ids
    formula = AutoModelForCausalLM.from_pretrained(ft_model_dir)
    formula.load_state_dict(formula_weights(ft_model_dir, adapter))
    with torch.no_grad():
        expected = formula.eval()(ids).logits
        with_adapter = AutoPeftModelForCausalLM.from_pretrained(adapter).eval()(ids).logits
        base = AutoModelForCausalLM.from_pretrained(ft_model_dir).eval()(ids).logits
    assert (expected - base).abs().max() > 1e-2  # the adapter changes the answer's logits
    torch.testing.assert_close(with_adapter, expected, rtol=1e-4, atol=1e-5)
