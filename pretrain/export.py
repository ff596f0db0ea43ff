"""Export a pretraining checkpoint (DCP) as a plain HF model dir: safetensors shards, config, tokenizer.

    python -m pretrain.export --checkpoint outputs/pretrain/llama3_8b --model /models/Meta-Llama-3-8B \\
        --output outputs/pretrain/llama3_8b/hf-step20000

`checkpoint` is a run folder (train.output; its latest complete checkpoint is used) or one checkpoints/step_XXXXXXXX dir.
One CPU process; it needs memory for the model in fp32. The result loads with
`AutoModelForCausalLM.from_pretrained(out)` without this codebase (trust_remote_code models keep their code
files). Training exports by itself at the end (pretrain.train export_at_end); this is for intermediate steps.
Loading the checkpoint never runs code from it (common/checkpoint.py: a crafted .metadata is refused, naming it).

A rerun into the same `out` with the same checkpoint and settings does nothing; with another checkpoint, base
model, dtype or shard size it stops with one line naming what changed (no folder mixing the shards of two
exports), or with `--on_mismatch redo` deletes the old export first. The folder is locked while it is written.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path

from common.cli import cli
from common.config import bad, load_config
from common.run import OnMismatch, Run, Unit, digest
from pretrain.config import ExportDtype

DEPENDS_ON = ("model", "dtype", "max_shard_size")  # with the checkpoint (the unit's key), what the files depend on


@dataclass
class ExportConfig:
    checkpoint: str = field(default="", metadata={"help": "run folder (train.output) or a checkpoints/step_XXXXXXXX dir"})
    model: str = field(default="", metadata={"help": "the base HF model dir (architecture, tokenizer)"})
    output: str = field(default="", metadata={"help": "HF output dir"})
    dtype: ExportDtype = field(default="auto", metadata={"help": "auto (the base model's dtype), bfloat16 or float32"})
    trust_remote_code: bool = field(default=False, metadata={"help": "run the model dir's own code (InternLM2)"})
    max_shard_size: str = field(default="5GB", metadata={"help": "safetensors shard size"})
    on_mismatch: OnMismatch = field(default="error", metadata={
        "help": "output holds an export of another checkpoint or settings: error, or redo (delete it, export again)"})

    def validate(self) -> None:
        for key in ("checkpoint", "model", "output"):
            if not getattr(self, key):
                bad(key, "not set (set checkpoint, model and output)")


def resolve_checkpoint(path: str) -> Path:
    from common.checkpoint import COMPLETE, latest_checkpoint

    p = Path(path)
    if (p / COMPLETE).exists():
        return p
    found = latest_checkpoint(p / "checkpoints") or latest_checkpoint(p)
    if found is None:
        raise FileNotFoundError(f"{p}: no complete checkpoint (step_XXXXXXXX with a COMPLETE marker) found")
    return found


def checkpoint_key(ckpt: Path) -> str:
    """Which checkpoint an export is of: its resolved path and its trainer state (step, data position), not a
    digest of its tensors (an 8B run's optimizer state is ~100 GB)."""
    state = ckpt / "trainer_state.json"
    return digest([str(ckpt.resolve()), state.read_text(encoding="utf-8") if state.exists() else ""])


def export_checkpoint(cfg: ExportConfig, ckpt: Path) -> Path:
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer

    from common.checkpoint import load_dcp
    from common.hf_export import check_model_dir, copy_remote_code, save_hf_model

    base = check_model_dir(cfg.model, weights=False)
    config = AutoConfig.from_pretrained(base, trust_remote_code=cfg.trust_remote_code)
    saved_dtype = getattr(config, "dtype", None) or torch.float32
    model = AutoModelForCausalLM.from_config(config, trust_remote_code=cfg.trust_remote_code, dtype=torch.float32)
    model.config.dtype = saved_dtype
    state = {"model": model.state_dict()}
    load_dcp(state, ckpt)  # reads the model part only (never runs code from it); optimizer state stays on disk
    tokenizer = AutoTokenizer.from_pretrained(base, trust_remote_code=cfg.trust_remote_code)
    out = save_hf_model(model, dict(state["model"]), cfg.output, tokenizer=tokenizer, dtype=cfg.dtype,
                        max_shard_size=cfg.max_shard_size)
    if cfg.trust_remote_code:
        copy_remote_code(cfg.model, out)
    return out


def check_config(cfg: ExportConfig) -> None:
    from common.hf_export import check_model_dir

    check_model_dir(cfg.model, weights=False)


def main(argv: list[str] | None = None) -> int:
    cfg = load_config(ExportConfig, argv, description=__doc__, prog="python -m pretrain.export")
    check_config(cfg)
    ckpt = resolve_checkpoint(cfg.checkpoint)
    unit = Unit("export", key=checkpoint_key(ckpt))
    with Run("pretrain.export", cfg.output, cfg, depends_on=DEPENDS_ON, on_mismatch=cfg.on_mismatch) as run:
        run.extra["checkpoint"] = str(ckpt)
        if run.is_done(unit):
            print(f"{cfg.output}: already holds the export of {ckpt} with these settings")
            return run.exit_code
        out = export_checkpoint(cfg, ckpt)
        files = [p for p in out.iterdir() if p.is_file() and p.name not in ("manifest.json", "config.yaml")]
        n_files = len(list(out.glob("*.safetensors")))
        run.mark_done(unit, {"safetensors_files": n_files}, outputs=files)
        print(f"in: {ckpt}\nout: {out} ({n_files} safetensors files)")
    return run.exit_code


if __name__ == "__main__":
    sys.exit(cli(main, "python -m pretrain.export"))
