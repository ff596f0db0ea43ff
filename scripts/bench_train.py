"""Training throughput and MFU of the engine (common/trainer.py) on synthetic sequences.

    # CPU, the tiny model of configs/pretrain/tiny.yaml (no MFU: no peak for a CPU)
    python scripts/bench_train.py --pretrain_config configs/pretrain/tiny.yaml --seq_len 128 --steps 8
    # one GPU: the Llama-3-8B layer shape (4 of its 32 decoder layers, full vocab), BF16, MFU against the
    # device's peak (H100 SXM 989 TFLOP/s; A100 312; or --peak_flops N)
    python scripts/bench_train.py --device cuda --shape llama3_8b_layers --layers 4 --seq_len 2048
    # 8 GPUs, FSDP2 across them
    torchrun --nproc_per_node 8 scripts/bench_train.py --device cuda --shape llama3_8b_layers --layers 8
    # engine speed options (train.compile, train.loss_impl, train.reshard_after_forward), e.g.
    python scripts/bench_train.py --device cuda --shape llama3_8b_layers --layers 4 --micro_batch_size 2 \
        --grad_accum 8 --activation_checkpointing false --compile true --loss_impl compiled

MFU = 100 * flops_per_token * tokens/s/device / peak, flops_per_token = 6 * (params - embedding params)
+ 6 * layers * heads * head_dim * seq_len. Timed steps exclude the first `warmup_steps`.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import torch  # noqa: E402

from common.config import load_config  # noqa: E402

SHAPES = {
    # Meta-Llama-3-8B config.json, with num_hidden_layers from --layers
    "llama3_8b_layers": dict(vocab_size=128256, hidden_size=4096, intermediate_size=14336, num_attention_heads=32,
                             num_key_value_heads=8, rope_theta=500000.0, max_position_embeddings=8192,
                             tie_word_embeddings=False),
    # a laptop-sized Llama to check the script itself on CPU
    "debug_layers": dict(vocab_size=1024, hidden_size=128, intermediate_size=256, num_attention_heads=4,
                         num_key_value_heads=2, max_position_embeddings=4096, tie_word_embeddings=False),
    # internlm2-1_8b shape as a Llama (same block structure)
    "internlm2_1_8b_layers": dict(vocab_size=92544, hidden_size=2048, intermediate_size=8192,
                                  num_attention_heads=16, num_key_value_heads=8, rope_theta=1000000.0,
                                  max_position_embeddings=32768, tie_word_embeddings=False),
}


@dataclass
class BenchConfig:
    pretrain_config: str = field(default="", metadata={"help": "a pretrain YAML: its model and train settings"})
    shape: str = field(default="", metadata={"help": f"instead of a model dir: one of {', '.join(SHAPES)}"})
    layers: int = field(default=4, metadata={"help": "decoder layers of --shape"})
    seq_len: int = field(default=2048, metadata={"help": "tokens per sequence"})
    micro_batch_size: int = field(default=1, metadata={"help": "sequences per forward pass"})
    grad_accum: int = field(default=1, metadata={"help": "micro-batches per optimizer step (as real runs: "
                                                     "the optimizer step is amortised over them)"})
    steps: int = field(default=10, metadata={"help": "timed optimizer steps"})
    warmup_steps: int = field(default=3, metadata={"help": "untimed steps first"})
    device: Literal["auto", "cuda", "cpu"] = field(default="auto", metadata={"help": "where it runs"})
    mixed_precision: Literal["", "bf16", "fp32"] = field(default="", metadata={
        "help": "'' = the config's, bf16 for --shape"})
    activation_checkpointing: Literal["", "true", "false"] = field(default="", metadata={
        "help": "'' = the config's"})
    peak_flops: str = field(default="auto", metadata={"help": "peak BF16 FLOP/s per device, a name, auto or none"})
    compile: Literal["", "true", "false"] = field(default="", metadata={
        "help": "torch.compile each decoder layer (train.compile; '' = the config's, off)"})
    compile_backend: Literal["", "inductor", "aot_eager"] = field(default="", metadata={"help": "'' = the config's"})
    reshard_after_forward: Literal["", "true", "false"] = field(default="", metadata={
        "help": "FSDP2 frees gathered layer weights after forward ('' = the config's, true)"})
    loss_impl: Literal["", "eager", "chunked", "compiled"] = field(default="", metadata={
        "help": "train.loss_impl ('' = the config's, eager)"})
    loss_chunk_size: int = field(default=0, metadata={"help": "positions per chunk of loss_impl=chunked "
                                                      "(0: the config's, 1024)"})
    documents_per_sequence: int = field(default=0, metadata={
        "help": "0: plain packing; K: each sequence holds K documents (EOS-separated) masked to themselves "
                "(pretrain.train --document_mask)"})
    grad_sync: Literal["", "every_micro_batch", "last_micro_batch"] = field(default="", metadata={
        "help": "train.grad_sync ('' = the config's, every_micro_batch)"})
    json_out: str = field(default="", metadata={"help": "also write the result as JSON to this file (rank 0)"})
    baseline: str = field(default="", metadata={
        "help": "compare: a git revision of this repository (e.g. the engine before a change). The bench then "
                "launches itself with torchrun (--nproc processes) for the baseline (a git worktree of it) and "
                "for this tree with grad_sync every_micro_batch and last_micro_batch, --repeats times each, "
                "alternating, and prints steps/s of each (the least step time of the repeats)"})
    nproc: int = field(default=1, metadata={"help": "processes per run with --baseline"})
    repeats: int = field(default=2, metadata={"help": "runs of each variant with --baseline"})


def apply_overrides(bench: BenchConfig, train) -> None:
    """The engine options chosen on the command line win over the config's."""
    for name in ("activation_checkpointing", "compile", "reshard_after_forward"):
        if getattr(bench, name):
            setattr(train, name, getattr(bench, name) == "true")
    for name in ("compile_backend", "loss_impl", "grad_sync"):
        if getattr(bench, name):
            setattr(train, name, getattr(bench, name))
    if bench.loss_chunk_size:
        train.loss_chunk_size = bench.loss_chunk_size


def build_model(bench: BenchConfig, device: torch.device):
    from transformers import LlamaConfig, LlamaForCausalLM

    config = LlamaConfig(num_hidden_layers=bench.layers, **SHAPES[bench.shape])
    torch.manual_seed(0)
    with torch.device(device):  # initialised in place: no 8B-vocab copy through the CPU
        return LlamaForCausalLM(config)


def planned_peak_bytes(model, train, world: int, bench: BenchConfig) -> float:
    """What pretrain.plan's memory model (common/plan_model.py) says this run holds at its peak per device."""
    from common.plan_model import ModelShape, RunShape, memory_per_gpu

    shape = ModelShape.from_hf_config(model.config.to_dict())
    run = RunShape(world_size=world, seq_len=bench.seq_len, micro_batch_size=train.micro_batch_size,
                   mixed_precision=train.mixed_precision, activation_checkpointing=train.activation_checkpointing,
                   parallelism=train.parallelism, cpu_offload=train.cpu_offload,
                   reshard_after_forward=train.reshard_after_forward, loss_impl=train.loss_impl,
                   loss_chunk_size=train.loss_chunk_size, grad_accum=bench.grad_accum, grad_sync=train.grad_sync,
                   compile=train.compile)
    return memory_per_gpu(shape, run)["total"]


def _without(argv: list[str], names: tuple[str, ...]) -> list[str]:
    """argv less the flags `names` and their values."""
    out, skip = [], False
    for arg in argv:
        if skip:
            skip = False
        elif arg.split("=", 1)[0] in names:
            skip = "=" not in arg
        else:
            out.append(arg)
    return out


def _run_variant(root: Path, argv: list[str], nproc: int, out: Path) -> float:
    """One torchrun of bench_train.py in `root` (this tree or a worktree); its step seconds."""
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", str(nproc),
           str(root / "scripts/bench_train.py"), *argv]
    env = {**os.environ, "PYTHONPATH": str(root)}
    proc = subprocess.run(cmd, cwd=root, env=env, capture_output=True, text=True)
    if proc.returncode:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{proc.stderr[-3000:]}")
    if out.exists():
        return json.loads(out.read_text())["step_seconds"]
    # a revision whose bench has no --json_out: its printed table
    line = next(x for x in proc.stdout.splitlines() if x.strip().startswith("step_seconds:"))
    return float(line.split(":", 1)[1].replace(",", ""))


def compare_with_baseline(bench: BenchConfig, argv: list[str]) -> dict:
    """Steps/s of a baseline revision and of this tree (both grad_sync settings), alternating runs."""
    root = Path(__file__).resolve().parent.parent
    common = _without(argv, ("--baseline", "--nproc", "--repeats", "--json_out", "--grad_sync"))
    with tempfile.TemporaryDirectory() as tmp:
        worktree = Path(tmp) / "baseline"
        subprocess.run(["git", "-C", str(root), "worktree", "add", "--detach", str(worktree), bench.baseline],
                       check=True, capture_output=True)
        try:
            variants = {f"baseline {bench.baseline}": (worktree, common)}
            for sync in ("last_micro_batch", "every_micro_batch"):
                variants[f"this tree, grad_sync {sync}"] = (root, [*common, "--grad_sync", sync])
            seconds: dict[str, list[float]] = {name: [] for name in variants}
            for repeat in range(bench.repeats):
                for i, (name, (where, args)) in enumerate(variants.items()):
                    out = Path(tmp) / f"{repeat}-{i}.json"
                    json_args = ["--json_out", str(out)] if where == root else []
                    seconds[name].append(_run_variant(where, [*args, *json_args], bench.nproc, out))
        finally:
            subprocess.run(["git", "-C", str(root), "worktree", "remove", "--force", str(worktree)],
                           capture_output=True)
    best = {name: min(times) for name, times in seconds.items()}
    base = best[f"baseline {bench.baseline}"]
    print(f"{bench.nproc} process(es), {bench.repeats} runs each, least step time:")
    for name, step_s in best.items():
        print(f"  {name:<44} {1 / step_s:8.3f} steps/s   ({base / step_s:.2f}x the baseline)")
    return {"steps_per_s": {name: 1 / s for name, s in best.items()}}


def main(argv: list[str] | None = None) -> dict:
    from common.distributed import cleanup, init_distributed
    from common.hf_export import load_causal_lm
    from common.train_config import TrainConfig
    from common.trainer import Trainer, model_flops_per_token

    bench = load_config(BenchConfig, argv, description=__doc__, prog="python scripts/bench_train.py")
    if bench.baseline:
        return compare_with_baseline(bench, list(sys.argv[1:] if argv is None else argv))
    if bool(bench.pretrain_config) == bool(bench.shape):
        raise ValueError("give either --pretrain_config (a pretrain YAML) or --shape")
    train = TrainConfig()
    model_dir = trust = None
    if bench.pretrain_config:
        from common.config import read_yaml

        raw = read_yaml(bench.pretrain_config)
        train = TrainConfig(**raw.get("train", {}))
        model_dir, trust = raw["model"], raw.get("trust_remote_code", False)
    world_probe = init_distributed("auto", bench.device)
    world = world_probe.world_size
    train.output = "/tmp/bench_train_unused"
    train.device, train.checkpoint_every, train.tensorboard, train.resume = bench.device, -1, False, "none"
    train.micro_batch_size = bench.micro_batch_size
    train.global_batch_size = bench.micro_batch_size * world * bench.grad_accum
    train.max_steps = bench.steps + bench.warmup_steps
    train.device_peak_flops = bench.peak_flops
    train.mixed_precision = bench.mixed_precision or ("bf16" if bench.shape else train.mixed_precision)
    apply_overrides(bench, train)
    model = build_model(bench, world_probe.device) if bench.shape else load_causal_lm(model_dir, trust)
    vocab = model.config.vocab_size
    gen = torch.Generator().manual_seed(0)
    data = [{"input_ids": ids, "labels": ids} for ids in
            torch.randint(0, vocab, (train.global_batch_size * train.max_steps, bench.seq_len), generator=gen)]

    def collate(rows):
        return {k: torch.stack([r[k] for r in rows]) for k in ("input_ids", "labels")}

    if bench.documents_per_sequence:  # EOS every seq_len / K tokens, each document masked to itself
        from common.packing import document_masked

        eos = vocab - 1
        for row in data:
            row["input_ids"][bench.seq_len // bench.documents_per_sequence - 1::
                             bench.seq_len // bench.documents_per_sequence] = eos
        plain_collate = collate

        def collate(rows):
            return document_masked(plain_collate(rows), eos)

    flops_per_token = model_flops_per_token(model, bench.seq_len)
    planned = planned_peak_bytes(model, train, world, bench)
    params = sum(p.numel() for p in model.parameters())
    trainer = Trainer(train, model, data, collate)
    times = []
    for step in range(train.max_steps):
        micro = [collate([data[i] for i in mb]) for mb in trainer.sampler.micro_batches(step)]
        if trainer.device.type == "cuda":
            torch.cuda.synchronize()
        t0 = time.perf_counter()
        trainer.train_step(micro)
        if trainer.device.type == "cuda":
            torch.cuda.synchronize()
        if step >= bench.warmup_steps:
            times.append(time.perf_counter() - t0)
    step_s = statistics.median(times)
    tps_dev = train.global_batch_size // world * bench.seq_len / step_s
    mfu = 100 * flops_per_token * tps_dev / trainer.peak_flops if trainer.peak_flops else None
    device_name = torch.cuda.get_device_name() if trainer.device.type == "cuda" else "cpu"
    result = {"device": device_name, "world_size": world, "model": bench.shape or model_dir,
              "params": params, "layers": model.config.num_hidden_layers, "seq_len": bench.seq_len,
              "micro_batch_size": bench.micro_batch_size, "grad_accum": bench.grad_accum,
              "mixed_precision": train.mixed_precision,
              "activation_checkpointing": train.activation_checkpointing, "compile": train.compile,
              "compile_backend": train.compile_backend if train.compile or train.loss_impl == "compiled" else None,
              "reshard_after_forward": train.reshard_after_forward, "loss_impl": train.loss_impl,
              "loss_chunk_size": train.loss_chunk_size if train.loss_impl == "chunked" else None,
              "step_seconds": step_s,
              "tokens_per_s": tps_dev * world, "tokens_per_s_per_device": tps_dev,
              "flops_per_token": flops_per_token, "peak_flops": trainer.peak_flops, "mfu": mfu,
              "peak_mem_gb": torch.cuda.max_memory_allocated() / 1e9 if trainer.device.type == "cuda" else None,
              "planned_mem_gb": planned / 1e9}
    result["grad_sync"] = train.grad_sync
    result["documents_per_sequence"] = bench.documents_per_sequence
    if trainer.dist.is_main:
        if bench.json_out:
            Path(bench.json_out).write_text(json.dumps(result))
        for key, value in result.items():
            print(f"{key:>26}: {value:,.4g}" if isinstance(value, float) else f"{key:>26}: {value}")
    trainer.close()
    cleanup()
    return result


if __name__ == "__main__":
    from common.cli import cli

    sys.exit(cli(lambda argv: main(argv) and 0, "python scripts/bench_train.py"))  # a bad flag is one line, exit 2
