"""Worker for tests/test_numerics.py (run by torchrun; not a test module itself): one optimizer step of the
engine on fine-tuning examples, saving the gradients the optimizer is about to apply.

    python -m torch.distributed.run --nproc_per_node 2 tests/numerics_worker.py MODEL_DIR EXAMPLES.json OUT_DIR \
        '[{"output": "a"}, {"output": "b", ...}]'

Each element of the JSON list is one run (TrainConfig overrides); rank 0 writes `<output>/grads.pt`.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import torch


def full_gradients(model: torch.nn.Module) -> dict[str, torch.Tensor]:
    """Collective: every trainable parameter's gradient, unsharded, by its HF name."""
    grads = {}
    for name, p in model.named_parameters():
        if p.grad is None:
            continue
        grad = p.grad.full_tensor() if hasattr(p.grad, "full_tensor") else p.grad
        name = name.replace("_checkpoint_wrapped_module.", "").removeprefix("module.")  # DDP's wrapper
        grads[name] = grad.detach().cpu().clone()
    return grads


def one_step(model_dir: str, examples: list[dict], overrides: dict) -> None:
    from common.hf_export import load_causal_lm
    from common.train_config import TrainConfig
    from common.trainer import Trainer
    from finetune.data import PadCollator

    # fp32, no clipping, no warmup: the gradients the optimizer sees are the step's raw gradients
    settings = {"mixed_precision": "fp32", "device": "cpu", "tensorboard": False, "max_steps": 1,
                "checkpoint_every": -1, "max_grad_norm": 0.0, "warmup_ratio": 0.0, "lr": 1e-3,
                "global_batch_size": len(examples), "micro_batch_size": 2, "resume": "none"}
    cfg = TrainConfig(**{**settings, **overrides})
    model = load_causal_lm(model_dir, meta_on_other_ranks=cfg.parallelism == "fsdp")
    trainer = Trainer(cfg, model, examples, PadCollator(pad_token_id=0))
    seen: dict[str, torch.Tensor] = {}
    # observed just before AdamW applies them (after accumulation, reduction and clipping); a step hook is the
    # only point where they exist: the step zeroes them afterwards
    trainer.optimizer.register_step_pre_hook(lambda *_: seen.update(full_gradients(trainer.model)))
    trainer.train()
    if trainer.dist.is_main:
        torch.save(seen, Path(cfg.output) / "grads.pt")
    trainer.close()


def main() -> None:
    from common.distributed import cleanup, init_distributed

    model_dir, examples_path, runs = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
    examples = json.loads(Path(examples_path).read_text())
    init_distributed("gloo", "cpu")
    for overrides in runs:
        one_step(model_dir, examples, overrides)
    cleanup()


if __name__ == "__main__":
    main()
