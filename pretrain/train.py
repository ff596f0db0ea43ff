"""Continued auto-regressive pretraining of a HF causal LM on a tokenized corpus, with FSDP2 (common/trainer.py).

Single node, 8 GPUs:
    torchrun --nproc_per_node 8 -m pretrain.train --config configs/pretrain/llama3_8b.yaml
Multi-node under Slurm (one srun task per node, c10d rendezvous on the first node):
    sbatch --nodes 4 scripts/slurm/pretrain.sbatch configs/pretrain/llama3_8b.yaml
CPU, the tiny model (gloo, 2 processes):
    torchrun --nproc_per_node 2 -m pretrain.train --config configs/pretrain/tiny.yaml

Reads <data>/train (and <data>/validation: loss per language) written by `python -m pretrain.tokenize`. Writes
into train.output_dir: checkpoints/step_XXXXXXXX (DCP; a restarted job resumes from the latest complete one),
metrics.jsonl, tensorboard/, config.yaml, manifest.json, and at the end the HF model (export_dir, default
<output_dir>/hf). SIGTERM or SIGUSR1 (Slurm's --signal, scancel, requeue) makes every rank stop at the same step and
save a checkpoint; a second run on the same output_dir fails at once naming the run that holds it (.lock). Any field can be overridden: `--train.lr 1e-5 --train.max_steps 100`.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import Subset

from common.config import load_config
from common.train_config import TrainConfig


@dataclass
class PretrainConfig:
    model: str = field(default="", metadata={"help": "HF model dir to continue pretraining from"})
    data: str = field(default="", metadata={"help": "tokenized dataset dir (python -m pretrain.tokenize)"})
    trust_remote_code: bool = field(default=False, metadata={"help": "run the model dir's own code (InternLM2)"})
    attn_implementation: str = field(default="sdpa", metadata={
        "help": "sdpa | flash_attention_2 | eager | '' (the model's default)"})
    init_on_rank0: bool = field(default=True, metadata={
        "help": "only rank 0 reads the weights; the others start on the meta device and get them after sharding"})
    val_languages: list[str] = field(default_factory=list, metadata={
        "help": "languages of the validation split to report (empty: all present)"})
    export_at_end: bool = field(default=True, metadata={"help": "write the HF model when training finishes"})
    export_dir: str = field(default="", metadata={"help": "HF output dir (default: <train.output_dir>/hf)"})
    export_dtype: str = field(default="auto", metadata={
        "help": "auto (the base model's dtype) | bfloat16 | float32"})
    train: TrainConfig = field(default_factory=TrainConfig)


def collate(rows: list[dict]) -> dict[str, torch.Tensor]:
    keys = [k for k in ("input_ids", "labels", "attention_mask") if k in rows[0]]
    return {k: torch.from_numpy(np.stack([np.asarray(r[k]) for r in rows]).astype(np.int64)) for k in keys}


def load_tokenized(data_dir: str, val_languages: list[str]) -> tuple:
    """(train dataset, {lang: validation subset}, meta) of a pretrain.tokenize output dir."""
    from datasets import load_from_disk

    root = Path(data_dir)
    if not (root / "meta.json").exists() or not (root / "train").is_dir():
        raise FileNotFoundError(f"{root}: not a tokenized dataset (no meta.json or train/); run "
                                "python -m pretrain.tokenize first")
    meta = json.loads((root / "meta.json").read_text(encoding="utf-8"))
    columns = ["input_ids", "labels"] + (["attention_mask"] if meta["mode"] == "window" else [])
    train = load_from_disk(str(root / "train")).with_format("numpy", columns=columns)
    val_sets = {}
    if (root / "validation").is_dir():
        val = load_from_disk(str(root / "validation"))
        langs = val["lang"]
        wanted = val_languages or sorted(set(langs))
        val = val.with_format("numpy", columns=columns)
        for lang in wanted:
            indices = [i for i, x in enumerate(langs) if x == lang]
            if not indices:
                raise ValueError(f"{root}/validation has no sequences of language {lang!r}")
            val_sets[lang] = Subset(val, indices)
    return train, val_sets, meta


def copy_remote_code(model_dir: str, out_dir: Path) -> None:
    """A trust_remote_code model's modeling files must travel with its weights."""
    for py in Path(model_dir).glob("*.py"):
        shutil.copy2(py, out_dir / py.name)


def main(argv: list[str] | None = None) -> dict:
    from transformers import AutoTokenizer

    from common.distributed import cleanup, init_distributed
    from common.hf_export import check_model_dir, load_causal_lm
    from common.manifest import RunManifest
    from common.run_lock import lock_for_all_ranks
    from common.trainer import Trainer

    cfg = load_config(PretrainConfig, argv, description=__doc__, prog="torchrun ... -m pretrain.train")
    cfg.train.validate()
    info = init_distributed(cfg.train.backend, cfg.train.device)
    # one run per output folder: a second one stops here, before it writes anything (the trainer re-enters it)
    lock = lock_for_all_ranks(cfg.train.output_dir, info.device)
    manifest = RunManifest("pretrain.train", cfg.train.output_dir, cfg) if info.is_main else None

    # data: sequences written by pretrain.tokenize
    train_ds, val_sets, meta = load_tokenized(cfg.data, cfg.val_languages)
    if info.is_main:
        print(f"in: {len(train_ds):,} training sequences of {meta['seq_len']} tokens ({meta['mode']} mode), "
              f"validation: {', '.join(f'{k} {len(v)}' for k, v in val_sets.items()) or 'none'}", flush=True)

    # tokenizer and model (fp32 master weights; rank 0 reads them, the others get them after sharding)
    check_model_dir(cfg.model)
    tokenizer = AutoTokenizer.from_pretrained(cfg.model, trust_remote_code=cfg.trust_remote_code)
    model = load_causal_lm(cfg.model, cfg.trust_remote_code, meta_on_other_ranks=cfg.init_on_rank0,
                           attn_implementation=cfg.attn_implementation or None)
    max_pos = getattr(model.config, "max_position_embeddings", None)
    if max_pos and meta["seq_len"] > max_pos:
        raise ValueError(f"sequences of {meta['seq_len']} tokens exceed the model's {max_pos} positions")

    # train (resumes from the latest complete checkpoint in train.output_dir)
    trainer = Trainer(cfg.train, model, train_ds, collate, eval_datasets=val_sets, tokenizer=tokenizer)
    if info.is_main:
        print(f"world size {info.world_size}, grad accumulation {trainer.grad_accum}, "
              f"{trainer.total_steps} steps of {cfg.train.global_batch_size} sequences", flush=True)
    summary = trainer.train()

    # export the HF model when the run is complete
    export_dir = Path(cfg.export_dir or Path(cfg.train.output_dir) / "hf")
    if summary["finished"] and cfg.export_at_end:
        trainer.export_hf(export_dir, tokenizer, dtype=cfg.export_dtype)
        if info.is_main and cfg.trust_remote_code:
            copy_remote_code(cfg.model, export_dir)
        summary["export_dir"] = str(export_dir)
    if manifest is not None:
        manifest.finish(counts={"train_sequences": len(train_ds), **summary})
        print(f"out: {summary['steps']}/{summary['total_steps']} steps, final loss {summary['final_loss']}, "
              f"checkpoints in {cfg.train.output_dir}/checkpoints"
              + (f", HF model in {export_dir}" if "export_dir" in summary else ""), flush=True)
    trainer.close()
    if lock is not None:
        lock.release()
    cleanup()
    return summary


if __name__ == "__main__":
    main()
