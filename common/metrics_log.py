"""Training metrics: JSONL (one row per logged step) and TensorBoard, written by rank 0 only.

On resume from step k, rows after step k (logged by the killed run after its last checkpoint) are dropped, so
metrics.jsonl reads as one uninterrupted run.
"""

from __future__ import annotations

import json
from pathlib import Path

from common.records import JsonlAppender, write_text


class MetricsLogger:
    def __init__(self, output_dir: str | Path, enabled: bool, start_step: int = 0, tensorboard: bool = True):
        self.enabled = enabled
        self.path = Path(output_dir) / "metrics.jsonl"
        self._writer = None
        self._rows = None
        if not enabled:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._truncate_after(start_step)
        self._rows = JsonlAppender(self.path)
        if tensorboard:
            from torch.utils.tensorboard import SummaryWriter

            self._writer = SummaryWriter(str(Path(output_dir) / "tensorboard"), purge_step=start_step + 1)

    def _truncate_after(self, step: int) -> None:
        if not self.path.exists():
            return
        kept = []
        for line in self.path.read_text(encoding="utf-8").splitlines():
            try:
                row = json.loads(line)
            except json.JSONDecodeError:
                continue  # the torn last line of a killed run; JsonlAppender would drop it too
            if row.get("step", 0) <= step:
                kept.append(line)
        write_text(self.path, "".join(line + "\n" for line in kept))

    def log(self, row: dict) -> None:
        if not self.enabled:
            return
        self._rows.write(row)
        if self._writer is not None:
            for key, value in row.items():
                if key != "step" and isinstance(value, (int, float)):
                    self._writer.add_scalar(f"train/{key}" if not key.startswith("val_") else f"val/{key}",
                                            value, row["step"])

    def close(self) -> None:
        if self._rows is not None:
            self._rows.close()
        if self._writer is not None:
            self._writer.close()


def read_metrics(path: str | Path) -> list[dict]:
    p = Path(path)
    if p.is_dir():
        p = p / "metrics.jsonl"
    return [json.loads(line) for line in p.read_text(encoding="utf-8").splitlines() if line.strip()]
