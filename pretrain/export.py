"""Export a pretraining checkpoint (DCP) as a plain HF model dir: safetensors shards, config, tokenizer.

    python -m pretrain.export --checkpoint outputs/pretrain/llama3_8b --model /models/Meta-Llama-3-8B \\
        --out outputs/pretrain/llama3_8b/hf-step20000

`checkpoint` is a run's output_dir (its latest complete checkpoint is used) or one checkpoints/step_XXXXXXXX dir.
One CPU process; it needs memory for the model in fp32. The result loads with
`AutoModelForCausalLM.from_pretrained(out)` without this codebase (trust_remote_code models keep their code
files). Training exports by itself at the end (pretrain.train export_at_end); this is for intermediate steps.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from common.config import load_config


@dataclass
class ExportConfig:
    checkpoint: str = field(default="", metadata={"help": "run output_dir or a checkpoints/step_XXXXXXXX dir"})
    model: str = field(default="", metadata={"help": "the base HF model dir (architecture, tokenizer)"})
    out: str = field(default="", metadata={"help": "HF output dir"})
    dtype: str = field(default="auto", metadata={"help": "auto (the base model's dtype) | bfloat16 | float32"})
    trust_remote_code: bool = field(default=False, metadata={"help": "run the model dir's own code (InternLM2)"})
    max_shard_size: str = field(default="5GB", metadata={"help": "safetensors shard size"})


def resolve_checkpoint(path: str) -> Path:
    from common.checkpoint import COMPLETE, latest_checkpoint

    p = Path(path)
    if (p / COMPLETE).exists():
        return p
    found = latest_checkpoint(p / "checkpoints") or latest_checkpoint(p)
    if found is None:
        raise FileNotFoundError(f"{p}: no complete checkpoint (step_XXXXXXXX with a COMPLETE marker) found")
    return found


def export_checkpoint(cfg: ExportConfig) -> Path:
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer

    from common.checkpoint import load_dcp
    from common.hf_export import check_model_dir, save_hf_model
    from pretrain.train import copy_remote_code

    ckpt = resolve_checkpoint(cfg.checkpoint)
    base = check_model_dir(cfg.model)
    config = AutoConfig.from_pretrained(base, trust_remote_code=cfg.trust_remote_code)
    saved_dtype = getattr(config, "dtype", None) or torch.float32
    model = AutoModelForCausalLM.from_config(config, trust_remote_code=cfg.trust_remote_code, dtype=torch.float32)
    model.config.dtype = saved_dtype
    state = {"model": model.state_dict()}
    load_dcp(state, ckpt)  # reads the model part only (never runs code from it); optimizer state stays on disk
    tokenizer = AutoTokenizer.from_pretrained(base, trust_remote_code=cfg.trust_remote_code)
    out = save_hf_model(model, dict(state["model"]), cfg.out, tokenizer=tokenizer, dtype=cfg.dtype,
                        max_shard_size=cfg.max_shard_size)
    if cfg.trust_remote_code:
        copy_remote_code(cfg.model, out)
    return out


def main(argv: list[str] | None = None) -> Path:
    from common.manifest import RunManifest

    cfg = load_config(ExportConfig, argv, description=__doc__, prog="python -m pretrain.export")
    if not (cfg.checkpoint and cfg.model and cfg.out):
        raise ValueError("set checkpoint, model and out")
    manifest = RunManifest("pretrain.export", cfg.out, cfg)
    ckpt = resolve_checkpoint(cfg.checkpoint)
    out = export_checkpoint(cfg)
    n_files = len(list(out.glob("*.safetensors")))
    manifest.finish(counts={"checkpoint": str(ckpt), "safetensors_files": n_files})
    print(f"in: {ckpt}\nout: {out} ({n_files} safetensors files)")
    return out


if __name__ == "__main__":
    main()
