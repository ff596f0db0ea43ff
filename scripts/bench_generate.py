"""Generation speed: one question at a time (the paper's script) vs batched, same prompts, same outputs.

    python scripts/bench_generate.py                                   # tiny model, CPU, batch 16
    python scripts/bench_generate.py --model /models/llama3 --device cuda --dtype bfloat16 --vllm true

Prints samples/s of both ways and their ratio, and checks the greedy outputs are identical (exact in fp32;
in bf16 on a GPU the kernels differ with batch shape, so the count of identical outputs is reported instead).
With --vllm (GPU, pip install 'mmed[vllm]') vLLM is timed on the same prompts as well.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from common.config import load_config  # noqa: E402
from common.mmedbench import load_split  # noqa: E402
from common.prompts import build_prompt  # noqa: E402
from inference.backends import HFBackend, ModelSpec, VLLMBackend  # noqa: E402


@dataclass
class BenchConfig:
    model: str = field(default="", metadata={"help": "HF model dir ('' = build the tiny model in a temp dir)"})
    data: str = field(default="samples/mmedbench/Test", metadata={"help": "MMedBench Test/ dir"})
    num_prompts: int = field(default=48, metadata={"help": "prompts (answer and rationale mode, all languages)"})
    batch_size: int = field(default=16, metadata={"help": "batch size of the batched run"})
    max_new_tokens: int = field(default=128, metadata={"help": "tokens per answer (a rationale is ~210 tokens)"})
    dtype: Literal["float32", "bfloat16", "float16"] = field(default="float32", metadata={"help": "model dtype"})
    device: Literal["cpu", "cuda", "auto"] = field(default="cpu", metadata={"help": "where it runs"})
    vllm: bool = field(default=False, metadata={"help": "also time vLLM (GPU)"})
    repeats: int = field(default=3, metadata={"help": "timed runs of each way; the fastest counts (timeit's rule: "
                                                     "slower runs measure other load on the machine)"})
    threads: int = field(default=0, metadata={"help": "torch CPU threads (0 = torch's default); 1 avoids "
                                                      "oversubscription on a shared machine"})


def bench_prompts(data: str, n: int) -> list[str]:
    records = load_split(data)
    prompts = [build_prompt(r.question, r.options, r.language, mode) for r in records
               for mode in ("answer", "rationale")]
    return (prompts * (n // len(prompts) + 1))[:n]


def timed(repeats: int, fn, *args):
    """(output of the last run, fastest wall time of `repeats` runs)."""
    best = float("inf")
    for _ in range(max(repeats, 1)):
        t0 = time.perf_counter()
        out = fn(*args)
        best = min(best, time.perf_counter() - t0)
    return out, best


def one_at_a_time(backend, prompts: list[str]) -> list[str]:
    return [backend.generate([p])[0] for p in prompts]


def batched(backend, prompts: list[str], batch_size: int) -> list[str]:
    """Length-sorted batches, as inference.generate runs them; outputs returned in prompt order."""
    lengths = backend.prompt_lengths(prompts)
    order = sorted(range(len(prompts)), key=lambda i: -lengths[i])
    out = [""] * len(prompts)
    for start in range(0, len(order), batch_size):
        chunk = order[start:start + batch_size]
        for i, text in zip(chunk, backend.generate([prompts[i] for i in chunk])):
            out[i] = text
    return out


def main(argv: list[str] | None = None) -> None:
    cfg = load_config(BenchConfig, argv, description=__doc__, prog="python scripts/bench_generate.py")
    if cfg.threads:
        import torch

        torch.set_num_threads(cfg.threads)
    model = cfg.model
    if not model:
        import tempfile

        from common.tiny_model import TinyModelConfig, build_tiny_model

        model = str(build_tiny_model(TinyModelConfig(output=tempfile.mkdtemp(prefix="tiny-llama-"))))
    prompts = bench_prompts(cfg.data, cfg.num_prompts)
    backend = HFBackend(ModelSpec(model, dtype=cfg.dtype, device=cfg.device), cfg.max_new_tokens)
    backend.generate(prompts[:2])  # warm-up

    single, t_single = timed(cfg.repeats, one_at_a_time, backend, prompts)
    many, t_batched = timed(cfg.repeats, batched, backend, prompts, cfg.batch_size)
    same = sum(a == b for a, b in zip(single, many))
    import torch

    print(f"model {model} on {backend.device} ({backend.dtype}, {torch.get_num_threads()} CPU threads), "
          f"{len(prompts)} prompts, max_new_tokens {cfg.max_new_tokens}, fastest of {cfg.repeats} runs")
    print(f"one at a time : {len(prompts) / t_single:8.2f} samples/s ({t_single:.1f} s)")
    print(f"batched ({cfg.batch_size:>3}) : {len(prompts) / t_batched:8.2f} samples/s ({t_batched:.1f} s)")
    print(f"speed-up      : {t_single / t_batched:8.2f}x")
    print(f"identical outputs: {same}/{len(prompts)}")
    if cfg.vllm:
        vllm = VLLMBackend(ModelSpec(model, dtype=cfg.dtype), cfg.max_new_tokens)
        vllm.generate(prompts[:2])
        fast, t_vllm = timed(cfg.repeats, vllm.generate, prompts)
        print(f"vLLM          : {len(prompts) / t_vllm:8.2f} samples/s ({t_vllm:.1f} s), "
              f"{t_batched / t_vllm:.2f}x HF batched; identical to HF one-at-a-time: "
              f"{sum(a == b for a, b in zip(single, fast))}/{len(prompts)}")
    if cfg.dtype in ("float32", "fp32") and same != len(prompts):
        raise SystemExit("batched outputs differ from one-at-a-time outputs in fp32")


if __name__ == "__main__":
    from common.cli import cli

    sys.exit(cli(lambda argv: main(argv) and 0, "python scripts/bench_generate.py"))  # a bad flag is one line, exit 2
