"""Plot a training run's losses (train, and validation per language) and tabulate validation per language.

    python -m pretrain.plot --run outputs/demo/pretrain_run

Reads <run>/metrics.jsonl (written by the training engine) and writes <run>/loss.png and <run>/validation.md
(per language: loss and perplexity at the first and last evaluation, and the change). pretrain.train writes both
at the end of a run.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path

from common.cli import cli
from common.config import load_config
from pretrain.loss_report import read_losses, report


@dataclass
class PlotConfig:
    run: str = field(default="outputs/demo/pretrain_run", metadata={"help": "training output dir (metrics.jsonl)"})


def main(argv: list[str] | None = None) -> None:
    cfg = load_config(PlotConfig, argv, description=__doc__, prog="python -m pretrain.plot")
    run = Path(cfg.run)
    plot, table = report(run)
    _, val = read_losses(run / "metrics.jsonl")
    for name, rows in val.items():
        (s0, first), (s1, last) = rows[0], rows[-1]
        print(f"validation loss ({name}, held-out documents): step {s0} {first:.3f} -> step {s1} {last:.3f}")
    print(f"plot: {plot}, table: {table}")


if __name__ == "__main__":
    sys.exit(cli(main, "python -m pretrain.plot"))
