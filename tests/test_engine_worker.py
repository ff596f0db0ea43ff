"""Worker for the engine tests (run by torchrun or plain python; not a test module itself).

    python -m torch.distributed.run --nproc_per_node 2 tests/test_engine_worker.py MODEL_DIR OUT_DIR '{"max_steps": 4}'
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import torch


def packed_blocks(tokenizer, seq_len: int, n_blocks: int) -> list[dict]:
    words = "the patient presented with acute fever and was treated with antibiotics in the hospital".split()
    text = " ".join(words[i % len(words)] for i in range(seq_len * n_blocks * 2))
    ids = tokenizer(text, add_special_tokens=False)["input_ids"]
    return [{"input_ids": ids[i:i + seq_len], "labels": ids[i:i + seq_len]}
            for i in range(0, n_blocks * seq_len, seq_len)]


def collate(rows: list[dict]) -> dict:
    return {k: torch.tensor([r[k] for r in rows]) for k in ("input_ids", "labels")}


def dump_full_state(trainer, path: Path) -> None:
    """Unsharded model parameters and optimizer state (flattened to tensors) on rank 0, for exact comparisons."""
    from torch.distributed.checkpoint.state_dict import StateDictOptions, get_state_dict

    opts = StateDictOptions(full_state_dict=True, cpu_offload=True)
    model_sd, optim_sd = get_state_dict(trainer.model, trainer.optimizer, options=opts)
    if not trainer.dist.is_main:
        return
    flat = {f"model.{k}": v for k, v in model_sd.items()}
    for fqn, state in optim_sd["state"].items():
        for key, value in state.items():
            flat[f"optim.{fqn}.{key}"] = torch.as_tensor(value)
    torch.save(flat, path)


def main() -> None:
    from transformers import AutoTokenizer

    from common.distributed import cleanup
    from common.hf_export import load_causal_lm
    from common.train_config import TrainConfig
    from common.trainer import Trainer

    model_dir, out_dir, overrides = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
    meta = overrides.pop("meta_init", False)
    settings = {"output": out_dir, "mixed_precision": "fp32", "device": "cpu", "tensorboard": False,
                "global_batch_size": 4, "micro_batch_size": 1, "lr": 3e-3, "warmup_ratio": 0.0}
    cfg = TrainConfig(**{**settings, **overrides})
    tok = AutoTokenizer.from_pretrained(model_dir)
    data = packed_blocks(tok, 64, 32)
    from common.distributed import init_distributed
    init_distributed("gloo", "cpu")
    model = load_causal_lm(model_dir, meta_on_other_ranks=meta)
    trainer = Trainer(cfg, model, data, collate, eval_datasets={"en": data[:5]}, tokenizer=tok)
    sharded = all(type(p).__name__ == "DTensor" for p in trainer.model.parameters())
    summary = trainer.train()
    summary["sharded"] = sharded
    if summary["finished"]:
        dump_full_state(trainer, Path(out_dir) / "final_state.pt")
        trainer.export_hf(Path(out_dir) / "hf")
    if trainer.dist.is_main:
        (Path(out_dir) / "summary.json").write_text(json.dumps(summary))
    trainer.close()
    cleanup()


if __name__ == "__main__":
    main()
