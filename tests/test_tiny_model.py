from __future__ import annotations

import json

import torch
from safetensors.torch import load_file
from transformers import AutoModelForCausalLM, AutoTokenizer

from common.tiny_model import TinyModelConfig, build_tiny_model


def test_tiny_model_roundtrip_generates_offline(tiny_model_dir):
    tok = AutoTokenizer.from_pretrained(tiny_model_dir)
    model = AutoModelForCausalLM.from_pretrained(tiny_model_dir)
    assert (tiny_model_dir / "model.safetensors").exists()
    assert tok.pad_token_id is not None and tok.eos_token_id is not None and tok.bos_token_id is not None
    text = "高血圧の治療 Hypertension treatment лечение"
    ids = tok(text, return_tensors="pt")
    assert ids.input_ids[0, 0].item() == tok.bos_token_id
    assert tok.decode(ids.input_ids[0], skip_special_tokens=True) == text
    out = model.generate(**ids, max_new_tokens=4, do_sample=False, pad_token_id=tok.pad_token_id)
    assert out.shape[1] == ids.input_ids.shape[1] + 4


def test_tiny_model_is_deterministic(tiny_model_dir, tmp_path, samples_dir):
    again = build_tiny_model(TinyModelConfig(out=str(tmp_path / "again"), samples=str(samples_dir)))
    a, b = load_file(tiny_model_dir / "model.safetensors"), load_file(again / "model.safetensors")
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
    vocab = lambda d: json.loads((d / "tokenizer.json").read_text())["model"]["vocab"]  # noqa: E731
    assert vocab(tiny_model_dir) == vocab(again)
