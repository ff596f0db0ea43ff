"""Merge a LoRA adapter into its base model and write a plain HF model dir (safetensors).

    python -m finetune.merge --base artifacts/tiny-llama --adapter outputs/demo/finetune_lora/adapter \\
        --out outputs/demo/finetune_lora/merged

The merged model gives the same outputs as base + adapter (up to float rounding) and loads with
`AutoModelForCausalLM.from_pretrained` alone, e.g. for vLLM. The tokenizer is copied from the adapter dir when it
has one (finetune.run saves it there), else from the base.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from common.config import load_config
from common.manifest import RunManifest
from common.prompts import read_style_file, write_style_file

DTYPES = ("auto", "bf16", "fp16", "fp32")


@dataclass
class MergeConfig:
    base: str = field(default="", metadata={"help": "base HF model dir the adapter was trained on"})
    adapter: str = field(default="", metadata={"help": "PEFT adapter dir (adapter_config.json + weights)"})
    out: str = field(default="", metadata={"help": "output HF model dir"})
    dtype: str = field(default="auto", metadata={"help": f"dtype of the merged weights: {' | '.join(DTYPES)} "
                                                         "(auto = as stored in the base)"})
    trust_remote_code: bool = field(default=False, metadata={"help": "allow model code from the base dir "
                                                                     "(InternLM2)"})


def _torch_dtype(name: str):
    import torch

    return {"auto": "auto", "bf16": torch.bfloat16, "fp16": torch.float16, "fp32": torch.float32}[name]


def check_merge_config(cfg: MergeConfig) -> None:
    for name in ("base", "adapter", "out"):
        if not getattr(cfg, name):
            raise ValueError(f"--{name} is required")
    if cfg.dtype not in DTYPES:
        raise ValueError(f"--dtype must be one of {DTYPES}, got {cfg.dtype!r}")
    base_dir, adapter_dir = Path(cfg.base), Path(cfg.adapter)
    if not (base_dir / "config.json").exists():
        raise FileNotFoundError(f"base model not found (no config.json): {base_dir}")
    if not (adapter_dir / "adapter_config.json").exists():
        raise FileNotFoundError(f"adapter not found (no adapter_config.json): {adapter_dir}")


def merge_adapter(cfg: MergeConfig) -> Path:
    from peft import PeftModel
    from transformers import AutoModelForCausalLM, AutoTokenizer

    check_merge_config(cfg)
    base_dir, adapter_dir, out = Path(cfg.base), Path(cfg.adapter), Path(cfg.out)

    base = AutoModelForCausalLM.from_pretrained(base_dir, dtype=_torch_dtype(cfg.dtype),
                                                trust_remote_code=cfg.trust_remote_code)
    merged = PeftModel.from_pretrained(base, adapter_dir).merge_and_unload()
    out.mkdir(parents=True, exist_ok=True)
    merged.save_pretrained(out, safe_serialization=True)
    tok_dir = adapter_dir if (adapter_dir / "tokenizer_config.json").exists() else base_dir
    AutoTokenizer.from_pretrained(tok_dir, trust_remote_code=cfg.trust_remote_code).save_pretrained(out)
    style = read_style_file(adapter_dir) or read_style_file(base_dir)
    if style:  # the merged model is asked in the format its adapter was taught
        write_style_file(out, style)
    return out


def main(argv: list[str] | None = None) -> None:
    cfg = load_config(MergeConfig, argv, description=__doc__, prog="python -m finetune.merge")
    check_merge_config(cfg)
    manifest = RunManifest("finetune.merge", cfg.out, cfg)
    out = merge_adapter(cfg)
    manifest.finish(counts={"base": cfg.base, "adapter": cfg.adapter})
    print(f"merged {cfg.adapter} into {cfg.base}: wrote {out}")


if __name__ == "__main__":
    main()
