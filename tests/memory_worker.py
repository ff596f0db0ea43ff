"""Worker for the planner's memory tests (run by torchrun; not a test module itself): one training step of the
engine on a random Llama of a given shape under torch's FSDPMemTracker, the peak bytes by category on rank 0.

    python -m torch.distributed.run --nproc_per_node 2 tests/memory_worker.py OUT.json '[{"seq_len": 128, ...}, ...]'

One process group measures every settings object of the list in turn (OUT.json: the list of peaks). Settings:
`shape` (ModelShape fields), `seq_len`, `micro_batch_size`, `grad_accum`, and any TrainConfig field
(mixed_precision, activation_checkpointing, grad_sync, loss_impl, ...); `padding` true gives every sequence a
padded tail and an attention mask (the `window` data of pretrain.tokenize).
"""

from __future__ import annotations

import gc
import json
import sys
from pathlib import Path

import torch


def random_rows(vocab: int, seq_len: int, n: int, padding: bool) -> list[dict]:
    gen = torch.Generator().manual_seed(0)
    rows = []
    for i in range(n):
        ids = torch.randint(0, vocab, (seq_len,), generator=gen)
        row = {"input_ids": ids, "labels": ids.clone()}
        if padding:  # a short last window: its tail is padding, masked out of attention and loss
            keep = seq_len - 1 - (i * 7) % (seq_len // 4)
            row["attention_mask"] = (torch.arange(seq_len) < keep).long()
            row["labels"][keep:] = -100
        rows.append(row)
    return rows


def collate(rows: list[dict]) -> dict:
    return {k: torch.stack([r[k] for r in rows]) for k in rows[0]}


def measure(settings: dict, out_dir: str) -> dict:
    """Peak bytes by FSDPMemTracker category during the second step (the first creates the AdamW states)."""
    from torch.distributed._tools.fsdp2_mem_tracker import FSDPMemTracker
    from transformers import LlamaConfig, LlamaForCausalLM

    from common.plan_model import ModelShape
    from common.train_config import TrainConfig
    from common.trainer import Trainer

    gc.collect()  # the previous case's model, optimizer and FSDP state must not linger into this one's peak
    settings = dict(settings)
    shape = ModelShape(**settings.pop("shape"))
    seq, micro = settings.pop("seq_len"), settings.pop("micro_batch_size")
    accum, padding = settings.pop("grad_accum", 1), settings.pop("padding", False)
    torch.manual_seed(0)
    model = LlamaForCausalLM(LlamaConfig(**shape.hf_config_kwargs(), attn_implementation="sdpa"))
    world = torch.distributed.get_world_size()
    global_batch = micro * world * accum
    cfg = TrainConfig(output=out_dir, global_batch_size=global_batch, micro_batch_size=micro, max_steps=2,
                      device="cpu", backend="gloo", device_peak_flops="none", checkpoint_every=-1,
                      tensorboard=False, resume="none", fsdp_layer_cls=["LlamaDecoderLayer"], **settings)
    rows = random_rows(shape.vocab_size, seq, 2 * global_batch, padding)
    trainer = Trainer(cfg, model, rows, collate)
    steps = [[collate([rows[i] for i in mb]) for mb in trainer.sampler.micro_batches(step)] for step in (0, 1)]
    trainer.train_step(steps[0])
    tracker = FSDPMemTracker(trainer.model, trainer.optimizer)
    forward = trainer._forward_loss_sum

    def forward_of_a_new_micro_batch(batch: dict):
        tracker.reset_mod_stats()  # the tracker refuses a second forward of a module; its global peak is kept
        return forward(batch)

    trainer._forward_loss_sum = forward_of_a_new_micro_batch
    with tracker:
        trainer.train_step(steps[1])
    (snapshot,) = tracker.get_tracker_snapshot("peak").values()
    trainer.close()
    return {str(k).rsplit(".", 1)[-1]: v for k, v in snapshot.items()}


def main() -> None:
    from common.distributed import cleanup, init_distributed

    out_path, settings_list = Path(sys.argv[1]), json.loads(sys.argv[2])
    info = init_distributed("gloo", "cpu")
    peaks = [measure(settings, str(out_path.with_suffix(f".run{i}"))) for i, settings in enumerate(settings_list)]
    if info.is_main:
        out_path.write_text(json.dumps(peaks))
    cleanup()


if __name__ == "__main__":
    main()
