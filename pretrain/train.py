"""Continued auto-regressive pretraining of a HF causal LM on a tokenized corpus, with FSDP2 (common/trainer.py).

Single node, 8 GPUs:
    torchrun --nproc_per_node 8 -m pretrain.train --config configs/pretrain/llama3_8b.yaml
Multi-node under Slurm (one srun task per node, c10d rendezvous on the first node):
    sbatch --nodes 4 scripts/slurm/pretrain.sbatch configs/pretrain/llama3_8b.yaml
CPU, the tiny model (gloo, 2 processes):
    torchrun --nproc_per_node 2 -m pretrain.train --config configs/pretrain/tiny.yaml

Reads <data>/train (and <data>/validation: loss per language) written by `python -m pretrain.tokenize`. Writes
into train.output: checkpoints/step_XXXXXXXX (DCP; a restarted job resumes from the latest complete one),
metrics.jsonl, tensorboard/, config.yaml, manifest.json, and at the end the HF model (export_dir, default
<output>/hf). SIGTERM or SIGUSR1 (Slurm's --signal, scancel, requeue) makes every rank stop at the same step and
save a checkpoint; a second run on the same output folder fails at once naming the run that holds it (.lock). Any
field can be overridden: `--train.lr 1e-5 --train.max_steps 100`.

Resuming (rerun the same command) continues the checkpoints in train.output only when they were made from the
same base model and the same tokenized data (its meta.json); otherwise the run stops with one line naming what
changed (common/train_run.py), or with `--on_mismatch redo` deletes them and starts over. The manifest is written
also when a run fails. Exit status: 0 done (or stopped to be resumed), 2 a user error (one line).
"""

from __future__ import annotations

import sys
from pathlib import Path

from common.cli import UserError, cli
from common.config import load_config
from common.hf_export import copy_remote_code
from pretrain.config import DEPENDS_ON, PretrainConfig
from pretrain.data import batch_function, data_dirs, load_pretrain_data


def check_config(cfg: PretrainConfig) -> None:
    """Fail before any heavy work (and before torchrun's ranks meet) on settings or paths that cannot work."""
    from common.hf_export import check_model_dir

    for folder in data_dirs(cfg):
        if not (Path(folder) / "meta.json").is_file() or not (Path(folder) / "train").is_dir():
            raise UserError(f"{folder}: not a tokenized dataset (no meta.json or train/); run "
                            "python -m pretrain.tokenize first")
    out = Path(cfg.train.output)
    if out.exists() and not out.is_dir():
        raise UserError(f"key 'train.output': {out} is a file; name a folder")
    check_model_dir(cfg.model)


def main(argv: list[str] | None = None) -> int:
    from common.distributed import cleanup, init_distributed, report_status
    from common.train_run import files_key, training_run

    cfg = load_config(PretrainConfig, argv, description=__doc__, prog="torchrun ... -m pretrain.train")
    check_config(cfg)
    info = init_distributed(cfg.train.backend, cfg.train.device)
    try:
        # the folder's lock, then its checkpoints checked against this model and data (common/train_run.py)
        data_key = files_key([Path(d) / "meta.json" for d in data_dirs(cfg)])
        with training_run("pretrain.train", cfg, cfg.train.output, DEPENDS_ON, data_key, cfg.on_mismatch,
                          info.device) as run:
            summary = train(cfg, info)
            if run is not None:
                for key, value in summary.items():  # floats and strings too: set, not added
                    run.counts[key] = value
        report_status(summary)  # exit 0 also when stopped to resume: a launcher tells the two apart from this
    finally:
        cleanup()
    return 0


def train(cfg: PretrainConfig, info) -> dict:
    """Collective: data, model, training and the export of a finished run. Returns the trainer's summary."""
    from transformers import AutoTokenizer

    from common.hf_export import load_causal_lm
    from common.trainer import Trainer

    data = load_pretrain_data(cfg)  # sequences written by pretrain.tokenize (one dataset, or a mixture)
    meta = data.meta
    if info.is_main:
        print(f"in: {len(data.train):,} training sequences of {meta['seq_len']} tokens ({meta['mode']} mode), "
              f"validation: {', '.join(f'{k} {len(v)}' for k, v in data.validation.items()) or 'none'}", flush=True)

    # tokenizer and model (fp32 master weights; rank 0 reads them, the others get them after sharding)
    tokenizer = AutoTokenizer.from_pretrained(cfg.model, trust_remote_code=cfg.trust_remote_code)
    model = load_causal_lm(cfg.model, cfg.trust_remote_code, meta_on_other_ranks=cfg.init_on_rank0,
                           attn_implementation=cfg.attn_implementation or None)
    max_pos = getattr(model.config, "max_position_embeddings", None)
    if max_pos and meta["seq_len"] > max_pos:
        raise UserError(f"{cfg.data}/meta.json: sequences of {meta['seq_len']} tokens exceed the model's "
                        f"{max_pos} positions")

    # train (resumes from the latest complete checkpoint in train.output)
    trainer = Trainer(cfg.train, model, data.train, batch_function(cfg, meta, tokenizer.eos_token_id),
                      eval_datasets=data.validation, tokenizer=tokenizer, sampler_factory=data.sampler_factory)
    if info.is_main:
        print(f"world size {info.world_size}, grad accumulation {trainer.grad_accum}, "
              f"{trainer.total_steps} steps of {cfg.train.global_batch_size} sequences", flush=True)
    try:
        summary = trainer.train()

        # export the HF model when the run is complete
        export_dir = Path(cfg.export_dir or Path(cfg.train.output) / "hf")
        if summary["finished"] and cfg.export_at_end:
            trainer.export_hf(export_dir, tokenizer, dtype=cfg.export_dtype)
            if info.is_main and cfg.trust_remote_code:
                copy_remote_code(cfg.model, export_dir)
            summary["export_dir"] = str(export_dir)
    finally:
        trainer.close()
    summary["train_sequences"] = len(data.train)
    if data.sources and info.is_main:
        from pretrain.mixture_data import write_mixture_report

        mixture = write_mixture_report(Path(cfg.train.output) / "mixture.json", data.sources, data.metas,
                                       trainer.sampler, summary["steps"])
        for row in mixture["sources"]:
            print(f"mixture: {row['source']} {row['sequences']:,} sequences ({row['realised_share']:.1%}, "
                  f"weight share {row['share']:.1%}), ~{row['tokens']:,} tokens", flush=True)
    if info.is_main and (Path(cfg.train.output) / "metrics.jsonl").is_file():
        from pretrain.loss_report import report

        report(Path(cfg.train.output))  # loss.png and validation.md (per language) beside the metrics
    if info.is_main:
        print(f"out: {summary['steps']}/{summary['total_steps']} steps, final loss {summary['final_loss']}, "
              f"checkpoints in {cfg.train.output}/checkpoints"
              + (f", HF model in {export_dir}" if "export_dir" in summary else ""), flush=True)
    return summary


if __name__ == "__main__":
    sys.exit(cli(main, "torchrun ... -m pretrain.train"))
