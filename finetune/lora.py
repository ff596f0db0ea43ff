"""LoRA settings and the PEFT wrapping of a HF causal LM (PAPER.md: rank 16, dropout 0.05, q_proj/v_proj or wqkv)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# Per-architecture defaults (config.model_type -> attention projections), as in the paper's LoRA runs.
DEFAULT_TARGET_MODULES = {
    "llama": ["q_proj", "v_proj"],
    "mistral": ["q_proj", "v_proj"],
    "mixtral": ["q_proj", "v_proj"],
    "qwen2": ["q_proj", "v_proj"],
    "qwen3": ["q_proj", "v_proj"],
    "gemma": ["q_proj", "v_proj"],
    "gemma2": ["q_proj", "v_proj"],
    "internlm2": ["wqkv"],
}


@dataclass
class LoraSection:
    r: int = field(default=16, metadata={"help": "LoRA rank"})
    alpha: int = field(default=32, metadata={"help": "LoRA alpha (scaling = alpha / r)"})
    dropout: float = field(default=0.05, metadata={"help": "dropout on the LoRA input"})
    target_modules: list[str] = field(default_factory=list, metadata={
        "help": "module names to adapt; empty = the default for the architecture "
                "(q_proj,v_proj for Llama/Mistral/Qwen/Gemma, wqkv for InternLM2)"})


def target_modules_for(model_config: Any, configured: list[str]) -> list[str]:
    if configured:
        return list(configured)
    model_type = getattr(model_config, "model_type", "")
    if model_type not in DEFAULT_TARGET_MODULES:
        raise ValueError(f"no default LoRA target modules for model_type {model_type!r}: set lora.target_modules "
                         f"(known defaults: {', '.join(DEFAULT_TARGET_MODULES)})")
    return DEFAULT_TARGET_MODULES[model_type]


def apply_lora(model: Any, cfg: LoraSection) -> Any:
    """Wrap `model` with a fresh LoRA adapter; only the adapter weights stay trainable."""
    from peft import LoraConfig, get_peft_model

    targets = target_modules_for(model.config, cfg.target_modules)
    lora_config = LoraConfig(r=cfg.r, lora_alpha=cfg.alpha, lora_dropout=cfg.dropout, target_modules=targets,
                             bias="none", task_type="CAUSAL_LM")
    base = getattr(model, "name_or_path", "") or getattr(model.config, "_name_or_path", "")
    peft_model = get_peft_model(model, lora_config)
    if base and Path(base).is_dir():
        # adapter_config.json names the base model: a local dir recorded as given ("artifacts/tiny-llama") would
        # only load from the same working directory (elsewhere PEFT asks the hub), so it is recorded absolute
        for config in peft_model.peft_config.values():
            config.base_model_name_or_path = str(Path(base).resolve())
    return peft_model
