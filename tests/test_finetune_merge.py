"""finetune.merge: a merged model gives the same logits as base + adapter, and loads without PEFT."""

from __future__ import annotations

import pytest
import torch
from test_finetune_data import ft_model_dir, tokenizer  # noqa: F401  (session fixtures)

from finetune.lora import LoraSection, apply_lora
from finetune.merge import main as merge_main


def write_random_adapter(base_dir, tok, adapter):
    """A LoRA adapter (r 4, alpha 8) on `base_dir` whose B matrices are random, so it changes the output."""
    from transformers import AutoModelForCausalLM

    torch.manual_seed(0)
    model = apply_lora(AutoModelForCausalLM.from_pretrained(base_dir), LoraSection(r=4, alpha=8))
    with torch.no_grad():  # a fresh adapter is a no-op (B = 0)
        for name, p in model.named_parameters():
            if "lora_B" in name:
                p.normal_(std=0.5)
    model.save_pretrained(adapter)
    tok.save_pretrained(adapter)
    return adapter


def test_merged_model_equals_base_plus_adapter(tmp_path, ft_model_dir, tokenizer):  # noqa: F811
    from peft import AutoPeftModelForCausalLM
    from transformers import AutoModelForCausalLM

    adapter = write_random_adapter(ft_model_dir, tokenizer, tmp_path / "adapter")

    out = tmp_path / "merged"
    merge_main(["--base", str(ft_model_dir), "--adapter", str(adapter), "--output", str(out)])
    assert (out / "model.safetensors").exists() and (out / "manifest.json").exists()

    ids = tokenizer("Which organ produces insulin?", return_tensors="pt")["input_ids"]
    with torch.no_grad():
        with_adapter = AutoPeftModelForCausalLM.from_pretrained(adapter).eval()(ids).logits
        merged = AutoModelForCausalLM.from_pretrained(out).eval()(ids).logits
        base = AutoModelForCausalLM.from_pretrained(ft_model_dir).eval()(ids).logits
    assert not torch.allclose(with_adapter, base, atol=1e-3)
    torch.testing.assert_close(merged, with_adapter, atol=1e-4, rtol=1e-4)


def test_lora_targets_default_per_architecture_and_unknown_is_an_error():
    from types import SimpleNamespace

    from finetune.lora import target_modules_for

    assert target_modules_for(SimpleNamespace(model_type="llama"), []) == ["q_proj", "v_proj"]
    assert target_modules_for(SimpleNamespace(model_type="internlm2"), []) == ["wqkv"]
    assert target_modules_for(SimpleNamespace(model_type="bloom"), ["query_key_value"]) == ["query_key_value"]
    with pytest.raises(ValueError, match="set lora.target_modules"):
        target_modules_for(SimpleNamespace(model_type="bloom"), [])
