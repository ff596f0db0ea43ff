"""The run of a training command (pretrain.train, finetune.run) on common/run.py, for every rank at once.

    with training_run("pretrain.train", cfg, out, ("model",), data_key, cfg.on_mismatch, device) as run:
        summary = trainer.train()                              # run is the Run on rank 0, None on the others
        if run is not None: run.counts[...] = ...

One run per output folder: the folder's lock (common/run_lock.py) is taken for all ranks first, so a second run
stops before it writes anything, naming the holder; the trainer re-enters the same lock.

Training has no units: its output folder grows across reruns (checkpoints, metrics.jsonl), so rank 0 guards it
like an appended output (Run.guard): the config fields the checkpoints depend on (model, recipe) and a digest of
the training data are recorded, and resuming there with others is an error naming what changed (or, with
on_mismatch redo, the old checkpoints and metrics are deleted and training starts over). Every rank learns the
outcome in one collective, so no rank starts training on a folder rank 0 refused. The manifest is written by rank
0 also when training fails (status error, the message) or is interrupted.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import torch

from common.cli import UserError
from common.run import AllFieldsBut, Run, digest, input_identity

# what a training run grows across reruns: compared on resume, deleted by a redo
GROWN = ("checkpoints", "metrics.jsonl", "tensorboard")

# The train.* fields that cannot change what the checkpoints hold; every other field of a training command's config
# is in its fingerprint (common.run.AllFieldsBut), so resuming with another lr, schedule or max_steps is refused.
TRAIN_NOT_RESULTS = {
    "train.output": "the folder itself",
    "train.checkpoint_every": "how often it is saved", "train.keep_last": "how many saves are kept",
    "train.resume": "where to continue from", "train.log_every": "logging", "train.eval_every": "reporting",
    "train.eval_max_batches": "reporting", "train.tensorboard": "logging", "train.device_peak_flops": "MFU only",
    "train.max_train_minutes": "when this job stops to be resumed",
    "train.num_workers": "speed", "train.backend": "speed", "train.device": "where the same steps run",
    # the loss of a step does not depend on how its batch is split or sharded (common/train_config.py), and these
    # compute the same steps up to rounding: changing them to fit memory or speed is a resume, not another run
    "train.micro_batch_size": "memory", "train.parallelism": "memory", "train.fsdp_layer_cls": "memory",
    "train.activation_checkpointing": "memory", "train.cpu_offload": "memory",
    "train.reshard_after_forward": "memory", "train.compile": "speed", "train.compile_backend": "speed",
    "train.loss_impl": "memory", "train.loss_chunk_size": "memory", "train.grad_sync": "memory",
    "train.first_loss_max_ratio": "a check", "train.loss_spike_ratio": "a check",
}


def files_key(paths: Sequence[str | Path]) -> str:
    """A digest of the content of files or folders (the training data a run's checkpoints were made on)."""
    return digest([[str(p), input_identity(p)["digest"]] for p in paths])


@contextmanager
def training_run(command: str, cfg: Any, out_dir: str | Path, depends_on: Sequence[str] | AllFieldsBut, data_key: str,
                 on_mismatch: str, device: torch.device) -> Iterator[Run | None]:
    """Collective. The Run of rank 0 (None on the other ranks), its checkpoints checked against this run's
    model, recipe and data (see the module docstring)."""
    from common.distributed import all_reduce_max, is_main
    from common.run_lock import lock_for_all_ranks

    out = Path(out_dir)
    lock = lock_for_all_ranks(out, device)
    run = Run(command, out, cfg, depends_on=depends_on, on_mismatch=on_mismatch) if is_main() else None
    with ExitStack() as stack:
        if lock is not None:
            stack.callback(lock.release)
        if run is not None:
            stack.enter_context(run)
        error: UserError | None = None
        if run is not None:
            try:
                run.guard([out / name for name in GROWN], key=data_key)
            except UserError as err:  # the key is the data's digest: say so rather than "records"
                error = UserError(str(err).replace("its records changed", "the training data changed"))
        if all_reduce_max(float(error is not None), device) > 0:
            raise error or UserError(f"{out}: its checkpoints were made with other settings (see rank 0's message)")
        yield run
