from __future__ import annotations

import json

from transformers import AutoModelForCausalLM

from common.hf_export import save_hf_model


def test_exported_model_generates_with_its_kv_cache(tiny_model_dir, tmp_path):
    """Training turns use_cache off (activation checkpointing); the exported config must turn it back on, or every
    generated token recomputes the whole sequence."""
    model = AutoModelForCausalLM.from_pretrained(tiny_model_dir)
    model.config.use_cache = False
    save_hf_model(model, dict(model.state_dict()), tmp_path / "out")
    assert json.loads((tmp_path / "out" / "config.json").read_text())["use_cache"] is True
    assert model.config.use_cache is False  # the live model is left as training set it
