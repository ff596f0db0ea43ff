"""Generation with `device_map` (accelerate big-model inference): a model split between memory and an offload
folder writes exactly what the one-device path writes."""

from __future__ import annotations

import gc

import pytest
import torch

from common.plan_model import SHAPES
from inference.backends import HFBackend, ModelSpec
from inference.generation import GenerateConfig, make_backend

PROMPTS = ["###Question: A patient has a fever and a cough. ###Options: A. flu B. fracture ",
           "病人发热。", "Le patient"]


def _generate(spec: ModelSpec, max_new_tokens: int) -> tuple[list[str], dict]:
    backend = HFBackend(spec, max_new_tokens=max_new_tokens)
    outputs = backend.generate(PROMPTS)
    placement = dict(getattr(backend.model, "hf_device_map", {}) or {})
    del backend
    gc.collect()
    return outputs, placement


def test_tiny_model_offloaded_to_disk_writes_the_one_device_outputs(tiny_model_dir, tmp_path):
    one_device, _ = _generate(ModelSpec(str(tiny_model_dir), dtype="float32", device="cpu"), 16)
    spec = ModelSpec(str(tiny_model_dir), dtype="float32", device="cpu", device_map="auto",
                     max_memory={"cpu": "2400KB"}, offload_folder=str(tmp_path / "offload"))
    split, placement = _generate(spec, 16)
    # accelerate keeps room for the largest module (the 1 MB embedding): one layer fits beside it, not two
    assert placement.get("model.layers.0") == "cpu" and placement.get("model.layers.1") == "disk"
    assert split == one_device
    assert any(one_device)  # the comparison is over real text, not empty strings


def test_generate_config_passes_device_map_to_the_backend(tiny_model_dir, tmp_path):
    cfg = GenerateConfig(model=str(tiny_model_dir), dtype="float32", device_map="sequential",
                         max_memory={"cpu": "600KB"}, offload_folder=str(tmp_path / "offload"), max_new_tokens=4)
    backend = make_backend(cfg)
    assert "disk" in backend.model.hf_device_map.values()
    assert backend.device == torch.device("cpu")


def test_device_map_options_are_checked(tiny_model_dir):
    with pytest.raises(ValueError, match="device_map must be"):
        HFBackend(ModelSpec(str(tiny_model_dir), device_map="everywhere"))
    with pytest.raises(ValueError, match="need device_map"):
        HFBackend(ModelSpec(str(tiny_model_dir), max_memory={"cpu": "1GB"}))


def _llama_70b_shaped(out_dir, tokenizer_dir, layers: int) -> None:
    """Llama-3.1-70B per layer (hidden 8192, MLP 28672, 64 heads, 8 KV heads) with `layers` decoder layers and
    the tiny tokenizer's vocabulary, random bf16 weights written straight to safetensors (building the module
    and letting it initialise itself takes several times longer)."""
    from safetensors.torch import save_file
    from transformers import AutoTokenizer, LlamaConfig, LlamaForCausalLM

    tokenizer = AutoTokenizer.from_pretrained(tokenizer_dir)
    kwargs = {**SHAPES["llama3_1_70b"].hf_config_kwargs(), "num_hidden_layers": layers, "vocab_size": len(tokenizer)}
    config = LlamaConfig(**kwargs, bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id,
                         dtype="bfloat16")
    with torch.device("meta"):
        shapes = {name: p.shape for name, p in LlamaForCausalLM(config).state_dict().items()}
    gen = torch.Generator().manual_seed(0)
    tensors = {name: (torch.ones(shape, dtype=torch.bfloat16) if len(shape) == 1
                      else torch.empty(shape, dtype=torch.bfloat16).normal_(0.0, 0.02, generator=gen))
               for name, shape in shapes.items()}
    out_dir.mkdir()
    save_file(tensors, str(out_dir / "model.safetensors"), metadata={"format": "pt"})
    config.save_pretrained(out_dir)
    tokenizer.save_pretrained(out_dir)


@pytest.mark.slow
def test_70b_shaped_layer_streamed_from_disk_matches_one_device(tiny_model_dir, tmp_path):
    model_dir = tmp_path / "llama-70b-shaped"
    _llama_70b_shaped(model_dir, tiny_model_dir, layers=1)
    one_device, _ = _generate(ModelSpec(str(model_dir), dtype="bfloat16", device="cpu"), 4)
    # accelerate keeps room for the largest module (the 1.71 GB layer) to stream offloaded weights through;
    # 1.8 GB then holds only the 67 MB embeddings: the layer, the norm and the head go to the folder
    spec = ModelSpec(str(model_dir), dtype="bfloat16", device="cpu", device_map="auto",
                     max_memory={"cpu": "1.8GB"}, offload_folder=str(tmp_path / "offload"))
    split, placement = _generate(spec, 4)
    assert placement.get("model.embed_tokens") == "cpu" and placement.get("model.layers.0") == "disk"
    assert split == one_device
    assert len(set(one_device)) > 1  # different prompts give different text: the model computes something
