"""Fine-tune a causal LM on MMedBench Train: full fine-tuning (FSDP2) or LoRA (PEFT), with the shared engine.

One process (LoRA on one GPU, or the tiny model on a CPU):
    python -m finetune.run --config configs/finetune/tiny_lora.yaml
One node, 8 GPUs (full fine-tuning, FSDP2):
    torchrun --standalone --nproc_per_node 8 -m finetune.run --config configs/finetune/llama3_8b_full.yaml
Several nodes (Slurm): sbatch --nodes 4 scripts/slurm/finetune.sbatch configs/finetune/llama3_8b_full.yaml

Every question gives a with-rationale and an answer-only example (common.prompts, the templates inference uses);
only response tokens carry loss. `method: full|lora` is the only switch between the two recipes. Writes into
`train.output`: checkpoints/ (exact resume: rerun the same command), metrics.jsonl, tensorboard/,
config.yaml, manifest.json (counts: questions, examples, truncated, rejected), rejects.jsonl (on_bad_record: skip)
and the result: `model/` (a HF model dir, full) or `adapter/` (a PEFT adapter dir with the tokenizer, LoRA; merge
it with `python -m finetune.merge`).

Resuming (rerun the same command) continues the checkpoints in train.output only when they were made with the
same settings (every field but output paths, cadences, time limits and speed or memory switches: RESUME_KEYS) and
the same training files (common/train_run.py); else the run stops with one line naming what changed, or with
`--on_mismatch redo` deletes them and starts over. Exit status: 0 done (or stopped to be
resumed), 2 a user error (one line naming the file:line, key or flag).
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import torch

from common.cli import UserError, cli
from common.config import load_config
from common.records import RejectLog
from finetune.config import MODEL_DTYPES, RESUME_KEYS, FinetuneConfig
from finetune.data import PadCollator, build_dataset
from finetune.lora import apply_lora


def check_config(cfg: FinetuneConfig) -> None:
    """The model, the data and the output folder, before any heavy work (the config's own checks ran when it was
    loaded)."""
    if not (Path(cfg.model) / "config.json").exists():
        raise FileNotFoundError(f"model dir not found (no config.json): {cfg.model} (nothing is downloaded; "
                                "build the tiny one with `python -m common.tiny_model`)")
    from common.model_files import check_model_files

    check_model_files(cfg.model)  # damaged or pickled weights, broken JSON files: one line naming the file
    if not Path(cfg.data.train_dir).is_dir():
        raise UserError(f"key 'data.train_dir': not a folder: {cfg.data.train_dir} (MMedBench Train/)")
    if cfg.data.instructions and not Path(cfg.data.instructions).is_file():
        raise UserError(f"key 'data.instructions': file not found: {cfg.data.instructions}")
    out = Path(cfg.train.output)
    if out.exists() and not out.is_dir():
        raise UserError(f"key 'train.output': {out} is a file; name a folder")


def data_key(cfg: FinetuneConfig) -> str:
    """A digest of the training files' content, so resuming on other data is refused."""
    from common.train_run import files_key

    return files_key([cfg.data.train_dir] + ([cfg.data.instructions] if cfg.data.instructions else []))


def load_tokenizer(cfg: FinetuneConfig) -> Any:
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(cfg.model, trust_remote_code=cfg.trust_remote_code)
    if tokenizer.pad_token_id is None:  # Llama 3 ships none: padding is masked anyway, any id works
        tokenizer.pad_token = tokenizer.eos_token
    return tokenizer


def load_model(cfg: FinetuneConfig) -> Any:
    """The HF model on CPU (the engine moves, shards or replicates it), LoRA-wrapped for method lora. Under FSDP
    only rank 0 reads fp32 weights; the other ranks build on the meta device and get them after sharding."""
    from transformers import AutoModelForCausalLM

    from common.hf_export import load_causal_lm

    if cfg.model_dtype == "fp32":
        model = load_causal_lm(cfg.model, cfg.trust_remote_code,
                               meta_on_other_ranks=cfg.train.parallelism == "fsdp")
    else:  # LoRA with a bf16 base: every rank loads it (half the memory of fp32)
        model = AutoModelForCausalLM.from_pretrained(cfg.model, dtype=MODEL_DTYPES[cfg.model_dtype],
                                                     trust_remote_code=cfg.trust_remote_code)
    model.config.use_cache = False
    if cfg.method == "lora":
        # same seed on every rank, so the fresh adapters agree even where nothing is broadcast
        torch.manual_seed(cfg.train.seed)
        model = apply_lora(model, cfg.lora)
    return model


def trainable_summary(model: torch.nn.Module) -> dict[str, int]:
    total = sum(p.numel() for p in model.parameters())
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    return {"params": total, "trainable_params": trainable}


def save_result(cfg: FinetuneConfig, trainer: Any, tokenizer: Any) -> Path:
    """Collective. full: a HF model dir; lora: the PEFT adapter (the engine saves a PEFT model as its adapter from
    the gathered state dict). Both get the tokenizer, so either dir is all inference needs."""
    from common.distributed import is_main
    from common.prompts import write_style_file

    target = Path(cfg.train.output) / ("model" if cfg.method == "full" else "adapter")
    trainer.export_hf(target, tokenizer=tokenizer)
    if is_main():  # generation reads it: the model is asked in the format it was taught
        write_style_file(target, cfg.data.prompt_style)
    return target


def main(argv: list[str] | None = None) -> int:
    from common.distributed import init_distributed, report_status
    from common.train_run import training_run

    # config and process group, then the folder: its lock, and its checkpoints checked against this recipe
    cfg = load_config(FinetuneConfig, argv, description=__doc__, prog="python -m finetune.run")
    check_config(cfg)
    dist_info = init_distributed(cfg.train.backend, cfg.train.device)
    with training_run("finetune.run", cfg, cfg.train.output, RESUME_KEYS, data_key(cfg), cfg.on_mismatch,
                      dist_info.device) as run:
        summary, counts = finetune(cfg, dist_info)
        if run is not None:
            run.counts.update(counts)
            run.extra["train"] = _jsonable(summary)
            if summary["finished"]:
                run.extra["result"] = str(Path(cfg.train.output) / ("model" if cfg.method == "full"
                                                                        else "adapter"))
    report_status(summary)  # exit 0 also when stopped to resume: a launcher tells the two apart from this
    return 0


def finetune(cfg: FinetuneConfig, dist_info) -> tuple[dict, Counter]:
    """Collective: data, model, training and the result of a finished run. Returns (summary, counts)."""
    from common.trainer import Trainer

    out = Path(cfg.train.output)
    # data: every rank builds the same examples (cheap next to training); rank 0 writes the rejects
    tokenizer = load_tokenizer(cfg)
    rejects = RejectLog(out / "rejects.jsonl" if dist_info.is_main else None)
    dataset, counts = build_dataset(cfg.data, tokenizer, rejects)
    rejects.close()
    if dist_info.is_main:
        print(f"[finetune] {counts['questions']} questions from {cfg.data.train_dir} -> {len(dataset)} examples "
              f"({_kinds(counts)}); truncated {counts['truncated']}, rejected {counts['rejected']}", flush=True)

    # model and training
    model = load_model(cfg)
    sizes = trainable_summary(model)
    counts.update(sizes)
    if dist_info.is_main:
        print(f"[finetune] method {cfg.method}: {sizes['trainable_params']:,} of {sizes['params']:,} parameters "
              "trained", flush=True)
    trainer = Trainer(cfg.train, model, dataset, PadCollator(tokenizer.pad_token_id), tokenizer=tokenizer)
    try:
        summary = trainer.train()
    finally:
        trainer.close()
    if not summary["finished"]:  # stopped on purpose (time limit): the checkpoint is there, rerun to continue
        if dist_info.is_main:
            print(f"[finetune] stopped at step {summary['steps']} of {summary['total_steps']} "
                  f"({summary['stopped']}); rerun the same command to resume from {out / 'checkpoints'}", flush=True)
        return summary, counts

    # result
    target = save_result(cfg, trainer, tokenizer)
    if dist_info.is_main:
        print(f"[finetune] wrote {target} (run folder {out})", flush=True)
    return summary, counts


def _kinds(counts: Counter) -> str:
    return ", ".join(f"{k.removeprefix('examples_')} {v}" for k, v in sorted(counts.items())
                     if k.startswith("examples_"))


def _jsonable(summary: Any) -> Any:
    return json.loads(json.dumps(summary, default=str))


if __name__ == "__main__":
    from common.distributed import cleanup

    try:
        status = cli(main, "python -m finetune.run")
    finally:
        cleanup()
    sys.exit(status)
