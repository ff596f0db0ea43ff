"""A training run's loss report: <run>/loss.png (train, and validation per language) and <run>/validation.md
(per language: loss and perplexity at the first and last evaluation, and the change), from <run>/metrics.jsonl.
Written by pretrain.train at the end of a run, and by `python -m pretrain.plot` for any run folder."""

from __future__ import annotations

import math
from pathlib import Path

from common.records import atomic_path, iter_jsonl


def read_losses(metrics: Path) -> tuple[list[tuple[int, float]], dict[str, list[tuple[int, float]]]]:
    """(train (step, loss) rows, {validation set: (step, loss) rows}), one row per step (the last one logged)."""
    if not metrics.is_file():
        raise FileNotFoundError(f"no metrics file: {metrics}")
    train: dict[int, float] = {}
    val: dict[str, dict[int, float]] = {}
    for _, row in iter_jsonl(metrics):
        step = row.get("step")
        if step is None:
            continue
        if "loss" in row:
            train[step] = row["loss"]
        for key, value in row.items():
            if key.startswith("val_loss_"):
                val.setdefault(key.removeprefix("val_loss_"), {})[step] = value
    return sorted(train.items()), {name: sorted(rows.items()) for name, rows in val.items()}


def plot_losses(path: Path, train, val) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4))
    if train:
        ax.plot(*zip(*train), label="train", alpha=0.6)
    for name, rows in val.items():
        ax.plot(*zip(*rows), marker="o", label=f"validation ({name})")
    ax.set_xlabel("step")
    ax.set_ylabel("loss (nats per token)")
    ax.legend()
    fig.tight_layout()
    with atomic_path(path, suffix=".png") as tmp:
        fig.savefig(tmp, format="png", dpi=120)
    plt.close(fig)


def validation_table(val: dict[str, list[tuple[int, float]]]) -> str:
    """Markdown: per validation set, loss and perplexity (exp of the loss, nats per token) first and last."""
    lines = ["| language | first step | loss | perplexity | last step | loss | perplexity | change |",
             "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    for name, rows in sorted(val.items()):
        (s0, first), (s1, last) = rows[0], rows[-1]
        lines.append(f"| {name} | {s0} | {first:.4f} | {math.exp(min(first, 700)):.2f} | {s1} | {last:.4f} | "
                     f"{math.exp(min(last, 700)):.2f} | {last - first:+.4f} |")
    return "\n".join(lines) + "\n"


def report(run: Path) -> tuple[Path, Path]:
    """Write <run>/loss.png and <run>/validation.md from <run>/metrics.jsonl; returns their paths."""
    train, val = read_losses(run / "metrics.jsonl")
    plot_losses(run / "loss.png", train, val)
    table = run / "validation.md"
    with atomic_path(table, suffix=".md") as tmp:
        Path(tmp).write_text("# Validation loss per language (held-out documents)\n\n"
                             + (validation_table(val) if val else "No validation sets.\n"), encoding="utf-8")
    return run / "loss.png", table
