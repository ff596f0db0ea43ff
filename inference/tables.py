"""Writers for the evaluation outputs (DESIGN.md "Evaluation outputs"): CSVs, markdown tables, the accuracy plot.

Numbers are percentages with two decimals; a language with no records is an empty cell (never 0).
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Sequence
from pathlib import Path

from common.records import atomic_path, write_text
from inference.predictions import Prediction

ACCURACY_COLUMNS_HEAD = ("Model",)
RATIONALE_COLUMNS_HEAD = ("Model", "Metric")
LEADERBOARD_COLUMNS = ("Language", "ModelInput", "ModelOutput", "GT_Answer")


def leaderboard_rows(records: Sequence[Prediction]) -> tuple[list[list[str]], list[list[str]]]:
    """The leaderboard files' rows (LEADERBOARD_COLUMNS), in the records' order: answer-mode records with their
    gold letters (multi_choice_results.csv), and rationale-mode records whose reference rationale passed the human
    check, with that reference (rationale_results.csv)."""
    answers = [[r.language, r.prompt, r.output, ",".join(r.gold_answer)] for r in records if r.mode == "answer"]
    rationales = [[r.language, r.prompt, r.output, r.gold_rationale]
                  for r in records if r.mode == "rationale" and r.human_check_passed]
    return answers, rationales


def fmt(value: float | None) -> str:
    """Two decimals; None/NaN -> empty cell."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return f"{value:.2f}"


def mean_of_present(values: Sequence[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return sum(present) / len(present) if present else None


def write_csv(path: str | Path, header: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    write_text(path, buf.getvalue())


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    def cell(x: object) -> str:
        return str(x).replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(cell(h) for h in header) + " |",
             "| " + " | ".join("---" for _ in header) + " |"]
    lines += ["| " + " | ".join(cell(x) for x in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def accuracy_rows(per_model: dict[str, dict[str, float | None]], languages: Sequence[str]) -> list[list[str]]:
    """One row per model: accuracy per language, then Avg over the languages that have records."""
    rows = []
    for model, acc in per_model.items():
        values = [acc.get(lang) for lang in languages]
        rows.append([model, *(fmt(v) for v in values), fmt(mean_of_present(values))])
    return rows


def rationale_rows(per_model: dict[str, dict[str, dict[str, float]]], languages: Sequence[str],
                   metrics: Sequence[str]) -> list[list[str]]:
    """One row per (model, metric); per_model[model][language][metric]. Avg is over the languages the model has
    rationales for, the same in every row: a row with one of them left empty (BERTScore where its model cannot
    read the language) has no Avg, since an average over fewer languages would not compare with the others."""
    rows = []
    for model, by_lang in per_model.items():
        for metric in metrics:
            values = [by_lang[lang][metric] if lang in by_lang and metric in by_lang[lang] else None
                      for lang in languages]
            complete = all(metric in by_lang[lang] for lang in languages if lang in by_lang)
            rows.append([model, metric, *(fmt(v) for v in values), fmt(mean_of_present(values) if complete else None)])
    return rows


def plot_accuracy(path: str | Path, languages: Sequence[str],
                  per_model: dict[str, dict[str, tuple[float, float, float] | None]]) -> None:
    """Grouped bars: accuracy by language, one bar per model, with its 95% bootstrap interval."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(max(6.0, 1.4 * len(languages) * max(1, len(per_model)) ** 0.5), 4.0))
    width = 0.8 / max(len(per_model), 1)
    for k, (model, by_lang) in enumerate(per_model.items()):
        xs, heights, errs = [], [], [[], []]
        for i, lang in enumerate(languages):
            entry = by_lang.get(lang)
            if entry is None:
                continue
            acc, low, high = entry
            xs.append(i - 0.4 + width * (k + 0.5))
            heights.append(acc)
            errs[0].append(max(acc - low, 0.0))
            errs[1].append(max(high - acc, 0.0))
        ax.bar(xs, heights, width=width, yerr=errs, capsize=3, label=model)
    ax.set_xticks(range(len(languages)))
    empty = {lang for lang in languages if all(by_lang.get(lang) is None for by_lang in per_model.values())}
    ax.set_xticklabels([f"{lang}\n(no records)" if lang in empty else lang for lang in languages])
    ax.set_ylabel("accuracy (%)")
    ax.set_ylim(0, 100)
    ax.set_title("MMedBench accuracy by language (95% bootstrap CI)")
    ax.legend(fontsize="small")
    fig.tight_layout()
    with atomic_path(path, suffix=".png") as tmp:
        fig.savefig(tmp, format="png", dpi=120)
    plt.close(fig)
