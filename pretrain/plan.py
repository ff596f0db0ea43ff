"""What a training run will cost before it is queued: per-GPU memory and the expected speed and wall-clock.

    python -m pretrain.plan --train_config configs/pretrain/llama3_8b.yaml --gpus 64 --gpu a100-80gb
    python -m pretrain.plan --train_config configs/pretrain/llama3_1_70b.yaml --gpus 64 --gpu h100-80gb --mfu 0.35
    python -m pretrain.plan --train_config configs/finetune/llama3_1_70b_lora.yaml --gpus 8 --gpu h100-80gb

Reads a pretrain.train or finetune.run YAML (model, train: micro/global batch, mixed precision, activation
checkpointing, CPU offload, reshard_after_forward, loss_impl; finetune: method, LoRA rank and targets) and the
model's shape (its config.json, or a built-in shape when the model dir is not on this machine). Prints the memory
per GPU by category (common/plan_model.py: parameters, gradients, AdamW states, gathered FSDP parameters,
activations with and without checkpointing, logits and loss), whether it fits the GPU, and tokens/s and
wall-clock for the token budget at the MFU you give. Not known to it: allocator fragmentation and cache, NCCL
buffers and the CUDA context (leave 2-5 GB per GPU), torch.compile's effect on activations, and the MFU itself.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal

from common.cli import UserError, cli
from common.config import bad, load_config, read_yaml
from common.plan_model import (
    GPUS,
    MEMORY_GROUPS,
    SHAPES,
    ModelShape,
    RunShape,
    gpu_by_name,
    memory_per_gpu,
    throughput,
)

GpuName = Literal[tuple(GPUS)]  # the GPUs whose peak FLOPs and memory are known (common/plan_model.py)

# model dir names of the released checkpoints -> built-in shapes (used when the dir is not on this machine)
_NAMES = {"meta-llama-3-8b": "llama3_8b", "llama-3-8b": "llama3_8b", "meta-llama-3.1-8b": "llama3_8b",
          "mmed-llama-3-8b": "llama3_8b", "meta-llama-3.1-70b": "llama3_1_70b", "llama-3.1-70b": "llama3_1_70b",
          "mmed-llama-3.1-70b": "llama3_1_70b", "internlm2-7b": "internlm2_7b", "internlm2-1_8b": "internlm2_1_8b"}


@dataclass
class PlanConfig:
    train_config: str = field(default="", metadata={"help": "a pretrain.train or finetune.run YAML"})
    gpus: int = field(default=8, metadata={"help": "GPUs in all (the FSDP world size)"})
    gpu: GpuName = field(default="a100-80gb", metadata={"help": "the GPU (its peak FLOPs and memory)"})
    shape: str = field(default="", metadata={
        "help": f"model shape: {', '.join(SHAPES)} or a config.json path ('' = the model dir's config.json, or "
                "the built-in shape its name matches)"})
    seq_len: int = field(default=0, metadata={"help": "tokens per sequence (0: finetune data.max_seq_len, else 2048)"})
    mfu: float = field(default=0.4, metadata={"help": "model FLOPs utilisation to assume (0-1)"})
    tokens: float = field(default=0.0, metadata={
        "help": "token budget (0 = train.max_steps x global batch x seq_len)"})
    activation_checkpointing: Literal["", "true", "false"] = field(default="", metadata={"help": "'' = the config's"})
    cpu_offload: Literal["", "true", "false"] = field(default="", metadata={"help": "'' = the config's"})
    micro_batch_size: int = field(default=0, metadata={"help": "0 = the config's"})
    grad_sync: Literal["", "every_micro_batch", "last_micro_batch"] = field(default="", metadata={
        "help": "'' = the config's"})
    padding: Literal["auto", "true", "false"] = field(default="auto", metadata={
        "help": "whether batches carry a padding mask (transformers then repeats k/v to every "
                "head); auto: true for fine-tuning and for pretraining data with an attention_mask column (window "
                "mode), or whose dir is not on this machine"})
    reserve_gb: float = field(default=3.0, metadata={
        "help": "GB per GPU left for what the planner cannot count (CUDA context, NCCL, allocator fragmentation)"})

    def validate(self) -> None:
        """One line naming the flag for values no plan can be made from."""
        if not self.train_config:
            bad("train_config", "give a pretrain.train or finetune.run YAML")
        if self.gpus < 1:
            bad("gpus", f"give at least 1, got {self.gpus}")
        if not 0 < self.mfu <= 1:
            bad("mfu", f"give a share of the peak in (0, 1], e.g. 0.4; got {self.mfu:g}")
        for name in ("tokens", "seq_len", "micro_batch_size", "reserve_gb"):
            if getattr(self, name) < 0:
                bad(name, f"cannot be negative, got {getattr(self, name):g}")


def resolve_shape(spec: str, model_dir: str) -> tuple[ModelShape, str]:
    """The model's shape and where it came from."""
    if spec in SHAPES:
        return SHAPES[spec], f"built-in {spec}"
    path = Path(spec) if spec else Path(model_dir) / "config.json"
    if path.is_file():
        return ModelShape.from_hf_config(json.loads(path.read_text(encoding="utf-8"))), str(path)
    if spec:
        raise FileNotFoundError(f"--shape {spec}: neither a config.json nor one of {', '.join(SHAPES)}")
    name = _NAMES.get(Path(model_dir).name.lower())
    if name is None:
        raise FileNotFoundError(f"{path} not found and {Path(model_dir).name!r} is no known model: pass --shape "
                                f"({', '.join(SHAPES)} or a config.json path)")
    return SHAPES[name], f"built-in {name} (matched from the name of {model_dir}, which is not on this machine)"


def _flag(text: str, default: bool) -> bool:
    return default if text == "" else text.lower() == "true"


def lora_params(shape: ModelShape, rank: int, targets: list[str]) -> int:
    """Adapter parameters: rank x (in + out) per targeted projection per layer (default q_proj, v_proj)."""
    h, attn, kv, mlp = shape.hidden_size, shape.num_heads * shape.dim, shape.kv_size, shape.intermediate_size
    sizes = {"q_proj": (h, attn), "k_proj": (h, kv), "v_proj": (h, kv), "o_proj": (attn, h),
             "gate_proj": (h, mlp), "up_proj": (h, mlp), "down_proj": (mlp, h)}
    unknown = [t for t in targets if t not in sizes]
    if unknown:
        raise ValueError(f"lora.target_modules {unknown}: the planner knows {', '.join(sizes)}")
    return shape.num_layers * sum(rank * sum(sizes[t]) for t in targets)


def _load_train_config(path: str):
    """(the pretrain.train or finetune.run config, seq_len default, is_finetune)."""
    if not Path(path).is_file():
        raise FileNotFoundError(f"--train_config {path}: no such file")
    raw = read_yaml(path)
    if "method" in raw:
        from finetune.config import FinetuneConfig

        run_cfg = load_config(FinetuneConfig, ["--config", path])
        return run_cfg, run_cfg.data.max_seq_len, True
    from pretrain.config import PretrainConfig

    return load_config(PretrainConfig, ["--config", path]), 2048, False


def _has_padding_mask(cfg: PlanConfig, run_cfg, finetune: bool) -> bool:
    """Fine-tuning pads every batch; pretraining data has a mask in window mode (its dataset_dict lists
    attention_mask). Data not on this machine counts as masked: the plan errs on the side of memory."""
    if cfg.padding != "auto":
        return cfg.padding == "true"
    if finetune:
        return True
    info = Path(run_cfg.data) / "train" / "dataset_info.json"
    if info.is_file():
        return "attention_mask" in json.loads(info.read_text(encoding="utf-8")).get("features", {})
    return True


def run_shape(cfg: PlanConfig, run_cfg, seq_len: int, finetune: bool, shape: ModelShape) -> RunShape:
    train = run_cfg.train
    micro = cfg.micro_batch_size or train.micro_batch_size
    world = cfg.gpus if train.parallelism != "none" else 1
    train.micro_batch_size = micro
    try:
        grad_accum = train.grad_accum_steps(world)
    except ValueError as err:
        raise UserError(f"{cfg.train_config}: {err} (--gpus {cfg.gpus})") from None
    run = RunShape(world_size=world, seq_len=seq_len, micro_batch_size=micro, mixed_precision=train.mixed_precision,
                   parallelism=train.parallelism,
                   activation_checkpointing=_flag(cfg.activation_checkpointing, train.activation_checkpointing),
                   cpu_offload=_flag(cfg.cpu_offload, train.cpu_offload),
                   reshard_after_forward=train.reshard_after_forward, loss_impl=train.loss_impl,
                   loss_chunk_size=train.loss_chunk_size, grad_accum=grad_accum,
                   grad_sync=cfg.grad_sync or train.grad_sync, compile=train.compile,
                   padding_mask=_has_padding_mask(cfg, run_cfg, finetune))
    if getattr(run_cfg, "method", "full") == "lora":
        targets = run_cfg.lora.target_modules or ["q_proj", "v_proj"]
        run = replace(run, trainable_params=lora_params(shape, run_cfg.lora.r, targets),
                      frozen_bytes=2 if run_cfg.model_dtype in ("bf16", "bfloat16") else 4)
    return run


def build_plan(cfg: PlanConfig) -> dict:
    cfg.validate()
    run_cfg, default_seq, finetune = _load_train_config(cfg.train_config)
    seq_len = cfg.seq_len or default_seq
    shape, source = resolve_shape(cfg.shape, run_cfg.model)
    gpu = gpu_by_name(cfg.gpu)
    run = run_shape(cfg, run_cfg, seq_len, finetune, shape)
    train = run_cfg.train
    tokens = cfg.tokens or max(train.max_steps, 0) * train.global_batch_size * seq_len
    return {"shape": shape, "shape_source": source, "run": run, "gpu": gpu, "memory": memory_per_gpu(shape, run),
            "speed": throughput(shape, run, gpu, cfg.mfu, tokens), "tokens": tokens,
            "global_batch": train.global_batch_size, "budget": gpu.memory_bytes - cfg.reserve_gb * 1e9}


def knobs_that_fit(shape: ModelShape, run: RunShape, global_batch: int, budget: float) -> list[str]:
    """The single changes (cheapest first) after which the plan fits `budget` bytes per GPU, with their totals."""
    def total(r: RunShape) -> float:
        return memory_per_gpu(shape, r)["total"]

    candidates: list[tuple[str, RunShape]] = []
    if run.grad_sync == "last_micro_batch" and run.grad_accum > 1:
        candidates.append(("train.grad_sync every_micro_batch", replace(run, grad_sync="every_micro_batch")))
    if run.loss_impl == "eager":
        candidates.append(("train.loss_impl chunked", replace(run, loss_impl="chunked")))
    if not run.activation_checkpointing:
        candidates.append(("train.activation_checkpointing true", replace(run, activation_checkpointing=True)))
    if not run.reshard_after_forward:
        candidates.append(("train.reshard_after_forward true", replace(run, reshard_after_forward=True)))
    micro = run.micro_batch_size // 2
    while micro >= 1:
        smaller = replace(run, micro_batch_size=micro, grad_accum=run.grad_accum * run.micro_batch_size // micro)
        if total(smaller) <= budget:
            candidates.append((f"train.micro_batch_size {micro}", smaller))
            break
        micro //= 2
    if run.parallelism == "fsdp":
        for world in range(run.world_size + 8 - run.world_size % 8, 1025, 8):
            per_pass = run.micro_batch_size * world
            if global_batch % per_pass == 0:
                bigger = replace(run, world_size=world, grad_accum=global_batch // per_pass)
                if total(bigger) <= budget:
                    candidates.append((f"--gpus {world}", bigger))
                    break
    if not run.cpu_offload and run.parallelism == "fsdp":
        candidates.append(("train.cpu_offload true", replace(run, cpu_offload=True)))
    return [f"{name} ({total(r) / 1e9:.1f} GB)" for name, r in candidates if total(r) <= budget]


def check_fits(cfg: PlanConfig, plan: dict) -> None:
    """A UserError (one line, exit 2) when the plan does not fit the GPU, saying by how much and what helps."""
    mem, gpu, budget = plan["memory"], plan["gpu"], plan["budget"]
    if mem["total"] <= budget:
        return
    over = (mem["total"] - budget) / 1e9
    knobs = knobs_that_fit(plan["shape"], plan["run"], plan["global_batch"], budget)
    fix = ("fits with any one of: " + "; ".join(knobs)) if knobs else "no single change fits: combine them"
    raise UserError(f"{cfg.train_config} does not fit {cfg.gpu} at {plan['run'].world_size} GPUs: "
                    f"{mem['total'] / 1e9:.1f} GB planned per GPU + {cfg.reserve_gb:g} GB reserve is "
                    f"{over:.1f} GB over {gpu.memory_bytes / 1e9:.0f} GB; {fix}")


def report(cfg: PlanConfig, plan: dict) -> str:
    shape, run, gpu, mem, speed = plan["shape"], plan["run"], plan["gpu"], plan["memory"], plan["speed"]
    gb = 1e9
    lines = [f"model: {shape.params / 1e9:.2f}B parameters, {shape.num_layers} layers ({plan['shape_source']})",
             f"run: {run.world_size} x {cfg.gpu}, seq {run.seq_len}, micro-batch {run.micro_batch_size}, "
             f"grad accumulation {run.grad_accum} (sync {run.grad_sync}), {run.parallelism}, "
             f"{run.mixed_precision}, activation checkpointing {run.activation_checkpointing}, cpu_offload "
             f"{run.cpu_offload}, loss {run.loss_impl}, compile {run.compile}, padding mask {run.padding_mask}",
             "", "memory per GPU (GB) at the peak (" + mem["peak_at"] + "):"]
    for key in MEMORY_GROUPS:
        lines.append(f"  {key:<38} {mem[key] / gb:9.2f}")
    verdict = "fits" if mem["total"] <= plan["budget"] else "DOES NOT FIT"
    lines += [f"  {'total':<38} {mem['total'] / gb:9.2f}   + {cfg.reserve_gb:g} reserve, of "
              f"{gpu.memory_bytes / gb:.0f} GB: {verdict}",
              f"  activations with / without checkpointing: {mem['activations_with_checkpointing'] / gb:.2f} / "
              f"{mem['activations_without_checkpointing'] / gb:.2f} GB"]
    if run.cpu_offload:
        lines.append(f"  host memory per GPU (cpu_offload: parameters, gradients, AdamW): {mem['host'] / gb:.2f} GB")
    lines += ["  not counted (the reserve): CUDA context, NCCL buffers, allocator fragmentation and cache", "",
              f"speed at {cfg.mfu:.0%} MFU ({gpu.peak_bf16_flops / 1e12:.0f} TFLOP/s peak, "
              f"{speed['flops_per_token'] / 1e9:.1f} GFLOP per token): {speed['tokens_per_s_per_gpu']:,.0f} tokens/s "
              f"per GPU, {speed['tokens_per_s']:,.0f} in all"]
    if plan["tokens"]:
        lines.append(f"{plan['tokens'] / 1e9:.2f}B tokens: {speed['seconds'] / 3600:,.1f} hours "
                     f"({speed['seconds'] / 86400:.1f} days, {speed['seconds'] / 3600 * run.world_size:,.0f} "
                     "GPU-hours)")
    return "\n".join(lines)


def plan_command(argv: list[str] | None = None) -> dict:
    """Print the plan and return it; a config that does not fit the GPU raises a UserError after the table."""
    cfg = load_config(PlanConfig, argv, description=__doc__, prog="python -m pretrain.plan")
    plan = build_plan(cfg)
    print(report(cfg, plan), flush=True)
    check_fits(cfg, plan)
    return plan


def main(argv: list[str] | None = None) -> int:
    plan_command(argv)
    return 0


if __name__ == "__main__":
    sys.exit(cli(main, "python -m pretrain.plan"))
