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
from dataclasses import dataclass, field
from pathlib import Path

from common.config import ConfigError, load_config, read_yaml
from common.plan_model import GPUS, SHAPES, ModelShape, RunShape, gpu_by_name, memory_per_gpu, throughput

# model dir names of the released checkpoints -> built-in shapes (used when the dir is not on this machine)
_NAMES = {"meta-llama-3-8b": "llama3_8b", "llama-3-8b": "llama3_8b", "meta-llama-3.1-8b": "llama3_8b",
          "mmed-llama-3-8b": "llama3_8b", "meta-llama-3.1-70b": "llama3_1_70b", "llama-3.1-70b": "llama3_1_70b",
          "mmed-llama-3.1-70b": "llama3_1_70b", "internlm2-7b": "internlm2_7b", "internlm2-1_8b": "internlm2_1_8b"}


@dataclass
class PlanConfig:
    train_config: str = field(default="", metadata={"help": "a pretrain.train or finetune.run YAML"})
    gpus: int = field(default=8, metadata={"help": "GPUs in all (the FSDP world size)"})
    gpu: str = field(default="a100-80gb", metadata={"help": f"one of {', '.join(GPUS)}"})
    shape: str = field(default="", metadata={
        "help": f"model shape: {', '.join(SHAPES)} or a config.json path ('' = the model dir's config.json, or "
                "the built-in shape its name matches)"})
    seq_len: int = field(default=0, metadata={"help": "tokens per sequence (0: finetune data.max_seq_len, else 2048)"})
    mfu: float = field(default=0.4, metadata={"help": "model FLOPs utilisation to assume (0-1)"})
    tokens: float = field(default=0.0, metadata={
        "help": "token budget (0 = train.max_steps x global batch x seq_len)"})
    activation_checkpointing: str = field(default="", metadata={"help": "true | false ('' = the config's)"})
    cpu_offload: str = field(default="", metadata={"help": "true | false ('' = the config's)"})
    micro_batch_size: int = field(default=0, metadata={"help": "0 = the config's"})


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
    return default if text == "" else text.lower() in ("true", "1", "yes")


def lora_params(shape: ModelShape, rank: int, targets: list[str]) -> int:
    """Adapter parameters: rank x (in + out) per targeted projection per layer (default q_proj, v_proj)."""
    h, attn, kv, mlp = shape.hidden_size, shape.num_heads * shape.dim, shape.kv_size, shape.intermediate_size
    sizes = {"q_proj": (h, attn), "k_proj": (h, kv), "v_proj": (h, kv), "o_proj": (attn, h),
             "gate_proj": (h, mlp), "up_proj": (h, mlp), "down_proj": (mlp, h)}
    unknown = [t for t in targets if t not in sizes]
    if unknown:
        raise ValueError(f"lora.target_modules {unknown}: the planner knows {', '.join(sizes)}")
    return shape.num_layers * sum(rank * sum(sizes[t]) for t in targets)


def build_plan(cfg: PlanConfig) -> dict:
    if not cfg.train_config:
        raise ConfigError("--train_config: give a pretrain.train or finetune.run YAML")
    raw = read_yaml(cfg.train_config)
    if "method" in raw:  # finetune.run
        from finetune.run import FinetuneConfig

        run_cfg = load_config(FinetuneConfig, ["--config", cfg.train_config])
        seq_len = cfg.seq_len or run_cfg.data.max_seq_len
    else:
        from pretrain.train import PretrainConfig

        run_cfg = load_config(PretrainConfig, ["--config", cfg.train_config])
        seq_len = cfg.seq_len or 2048
    train = run_cfg.train
    shape, source = resolve_shape(cfg.shape, run_cfg.model)
    gpu = gpu_by_name(cfg.gpu)
    micro = cfg.micro_batch_size or train.micro_batch_size
    train.micro_batch_size = micro
    world = cfg.gpus if train.parallelism != "none" else 1
    run = RunShape(world_size=world, seq_len=seq_len, micro_batch_size=micro,
                   mixed_precision=train.mixed_precision, parallelism=train.parallelism,
                   activation_checkpointing=_flag(cfg.activation_checkpointing, train.activation_checkpointing),
                   cpu_offload=_flag(cfg.cpu_offload, train.cpu_offload),
                   reshard_after_forward=train.reshard_after_forward, loss_impl=train.loss_impl,
                   loss_chunk_size=train.loss_chunk_size, grad_accum=train.grad_accum_steps(world))
    if getattr(run_cfg, "method", "full") == "lora":
        targets = run_cfg.lora.target_modules or ["q_proj", "v_proj"]
        run = RunShape(**{**run.__dict__, "trainable_params": lora_params(shape, run_cfg.lora.r, targets),
                          "frozen_bytes": 2 if run_cfg.model_dtype in ("bf16", "bfloat16") else 4})
    tokens = cfg.tokens or max(train.max_steps, 0) * train.global_batch_size * seq_len
    return {"shape": shape, "shape_source": source, "run": run, "gpu": gpu, "memory": memory_per_gpu(shape, run),
            "speed": throughput(shape, run, gpu, cfg.mfu, tokens), "tokens": tokens}


def report(cfg: PlanConfig, plan: dict) -> str:
    shape, run, gpu, mem, speed = plan["shape"], plan["run"], plan["gpu"], plan["memory"], plan["speed"]
    gb = 1e9
    lines = [f"model: {shape.params / 1e9:.2f}B parameters, {shape.num_layers} layers ({plan['shape_source']})",
             f"run: {run.world_size} x {cfg.gpu}, seq {run.seq_len}, micro-batch {run.micro_batch_size}, "
             f"grad accumulation {run.grad_accum}, {run.parallelism}, {run.mixed_precision}, activation "
             f"checkpointing {run.activation_checkpointing}, cpu_offload {run.cpu_offload}, loss {run.loss_impl}",
             "", "memory per GPU (GB) at the peak (" + mem["peak_at"] + "):"]
    for key in ("parameters", "gradients", "optimizer", "gathered_parameters", "activations"):
        lines.append(f"  {key:<38} {mem[key] / gb:9.2f}")
    lines += [f"  {'total':<38} {mem['total'] / gb:9.2f}   of {gpu.memory_bytes / gb:.0f} GB: "
              + ("fits" if mem["total"] <= gpu.memory_bytes else "DOES NOT FIT"),
              f"  activations with / without checkpointing: {mem['activations_with_checkpointing'] / gb:.2f} / "
              f"{mem['activations_without_checkpointing'] / gb:.2f} GB"]
    if run.cpu_offload:
        lines.append(f"  host memory per GPU (cpu_offload: parameters, gradients, AdamW): {mem['host'] / gb:.2f} GB")
    lines += ["  not counted: allocator fragmentation and cache, NCCL buffers and CUDA context (leave 2-5 GB), "
              "torch.compile's savings", "",
              f"speed at {cfg.mfu:.0%} MFU ({gpu.peak_bf16_flops / 1e12:.0f} TFLOP/s peak, "
              f"{speed['flops_per_token'] / 1e9:.1f} GFLOP per token): {speed['tokens_per_s_per_gpu']:,.0f} tokens/s "
              f"per GPU, {speed['tokens_per_s']:,.0f} in all"]
    if plan["tokens"]:
        lines.append(f"{plan['tokens'] / 1e9:.2f}B tokens: {speed['seconds'] / 3600:,.1f} hours "
                     f"({speed['seconds'] / 86400:.1f} days, {speed['seconds'] / 3600 * run.world_size:,.0f} "
                     "GPU-hours)")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> dict:
    cfg = load_config(PlanConfig, argv, description=__doc__, prog="python -m pretrain.plan")
    plan = build_plan(cfg)
    print(report(cfg, plan))
    return plan


if __name__ == "__main__":
    main()
