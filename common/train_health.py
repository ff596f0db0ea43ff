"""Early signs of a bad run, for the training engine: a first loss that says the weights were not loaded, a loss
or gradient norm that is not finite, loss spikes. Each names the step and the sequences of its batch, so the user
can look at the data and resume from the last checkpoint before it."""

from __future__ import annotations

import json
import math
import statistics
from collections import deque
from pathlib import Path

from common.cli import UserError


class TrainingHealthError(UserError):
    """The run cannot usefully go on (not finite, or the weights were not loaded): one line naming the step."""


def untrained_loss_message(loss: float, vocab_size: int, max_ratio: float) -> str | None:
    """Why a first loss means the weights were not loaded, or None when it looks like a trained model's.
    An untrained model predicts about uniformly: its loss is near ln(vocab size) (11.8 for Llama 3's 128,256);
    a pretrained one on text of its languages starts far below."""
    if max_ratio <= 0 or loss <= max_ratio * math.log(vocab_size):
        return None
    return (f"the first step's loss {loss:.3f} is {loss / math.log(vocab_size):.0%} of ln(vocab size {vocab_size}) = "
            f"{math.log(vocab_size):.2f}, what an untrained model gives: were the model's weights loaded (model "
            f"dir, key names, a random-initialised head)? (train.first_loss_max_ratio {max_ratio:g}; 0 turns "
            "the check off, e.g. to train from scratch)")


def batch_record(output_dir: Path, step: int, position: dict, sequences: list[int], why: str) -> Path:
    """Write the dataset indices of step `step`'s global batch beside the run; returns the file."""
    path = Path(output_dir) / f"bad_batch_step_{step:08d}.json"
    path.write_text(json.dumps({"step": step, "why": why, **position, "sequences": sequences}), encoding="utf-8")
    return path


class LossSpikeWatch:
    """A logged loss more than `ratio` x the median of the last `window` logged losses is a spike (after
    `min_history` rows, so warmup's fast early drop is never one)."""

    def __init__(self, ratio: float, window: int = 20, min_history: int = 5):
        self.ratio, self.min_history = ratio, min_history
        self.history: deque[float] = deque(maxlen=window)

    def check(self, loss: float) -> float | None:
        """The median the loss is compared with when it is a spike, else None; the loss joins the history."""
        median = statistics.median(self.history) if len(self.history) >= self.min_history else None
        self.history.append(loss)
        if self.ratio > 0 and median is not None and loss > self.ratio * median:
            return median
        return None
