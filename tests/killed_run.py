"""A training run killed after step N, for the resume tests: it dies where step N + 1 would start, after the
checkpoint step N was due, so only the regular checkpoints are on disk (no final save, no export, no summary).

    with killed_after(3):                  # in-process: the step after step 3 raises Killed
        finetune_main(argv)
    torchrun ... tests/killed_run.py 3 pretrain.train ARGS   # every rank SIGKILLs itself there: a real kill
"""

from __future__ import annotations

import os
import runpy
import signal
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from common.trainer import Trainer


class Killed(BaseException):
    """The in-process kill. A BaseException, as KeyboardInterrupt: no `except Exception` in the code under test
    treats it as an error it can handle."""


def _raise_killed() -> None:
    raise Killed


@contextmanager
def killed_after(steps: int, die: Callable[[], None] = _raise_killed) -> Iterator[None]:
    """Within the block, a Trainer calls `die()` instead of running step `steps` + 1."""
    original = Trainer.train_step

    def train_step(trainer: Trainer, micro_batches: list[dict]) -> dict:
        if trainer.step >= steps:
            die()
        return original(trainer, micro_batches)

    Trainer.train_step = train_step
    try:
        yield
    finally:
        Trainer.train_step = original


def _sigkill() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


if __name__ == "__main__":  # killed_run.py STEPS MODULE ARGS...: run MODULE as `python -m` would, killed there
    steps, module = int(sys.argv[1]), sys.argv[2]
    sys.argv = [module, *sys.argv[3:]]
    with killed_after(steps, die=_sigkill):
        runpy.run_module(module, run_name="__main__", alter_sys=True)
