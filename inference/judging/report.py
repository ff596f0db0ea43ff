"""Tables and the plot of a rationale study: per-model scores, inter-rater alpha, judge-human agreement.

Scores are on the 1-5 scale with two decimals; correlations with three; an undefined value (a constant score
vector, fewer than two raters) is an empty cell, never 0.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

from inference.judging.stats import PAPER_CORRELATION, SCORES, ItemScore
from inference.tables import markdown_table, write_csv

AGREEMENT_COLUMNS = ("score", "level", "method", "value", "ci_low", "ci_high", "n")


def _f(x: float | None, digits: int = 2) -> str:
    return "" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.{digits}f}"


def score_rows(per_model: dict[str, dict[str, tuple]]) -> list[list[str]]:
    """One row per model: each score's mean and 95% interval."""
    return [[model, *(f"{_f(v[0])} [{_f(v[1])}, {_f(v[2])}]" for v in (scores[s] for s in SCORES))]
            for model, scores in sorted(per_model.items(), key=lambda kv: -kv[1]["overall"][0])]


def write_scores(out_dir: Path, name: str, per_model: dict[str, dict[str, tuple]]) -> str:
    """<name>.csv (mean, low, high per score) and the markdown table it returns."""
    header = ["model"] + [f"{s}{suffix}" for s in SCORES for suffix in ("", "_ci_low", "_ci_high")]
    rows = [[m, *(_f(x, 4) for s in SCORES for x in v[s])] for m, v in sorted(per_model.items())]
    write_csv(out_dir / f"{name}.csv", header, rows)
    return markdown_table(["Model", *(f"{s} (95% CI)" for s in SCORES)], score_rows(per_model))


def alpha_markdown(alpha: dict[str, float], raters: int) -> str:
    rows = [[c, _f(a, 3) or "undefined"] for c, a in alpha.items()]
    return (f"Krippendorff's alpha (ordinal, 1-5), {raters} rater(s):\n\n"
            + markdown_table(["Criterion", "alpha"], rows))


def write_agreement(out_dir: Path, rows: Sequence[dict], n_items: int, human_n: int, judge_n: int) -> str:
    """agreement.csv and agreement.md (returned), the paper's 0.660 beside the user's figures."""
    write_csv(out_dir / "agreement.csv", AGREEMENT_COLUMNS,
              [[r["score"], r["level"], r["method"], _f(r["value"], 4), _f(r["low"], 4), _f(r["high"], 4), r["n"]]
               for r in rows])
    table = markdown_table(["Score", "Level", "Method", "Value (95% CI)", "n"],
                           [[r["score"], r["level"], r["method"],
                             f"{_f(r['value'], 3)} [{_f(r['low'], 3)}, {_f(r['high'], 3)}]", r["n"]] for r in rows])
    headline = next(r for r in rows if r["score"] == "overall" and r["level"] == "item" and r["method"] == "spearman")
    text = (f"# Judge-human agreement\n\n{n_items} (question, model) items scored by both (human: {human_n}, "
            f"judge: {judge_n}).\n\nOverall score, per item, Spearman: **{_f(headline['value'], 3)}** "
            f"[{_f(headline['low'], 3)}, {_f(headline['high'], 3)}]; the paper reports **{PAPER_CORRELATION:.3f}** "
            "between GPT-4 and its five raters.\n\n"
            "Levels: item = every (question, model) pair; model = the models' mean scores (few points: read "
            "its interval); question = the judge's and the raters' orderings of the models within a question.\n\n"
            + table)
    from common.records import write_text

    write_text(out_dir / "agreement.md", text)
    return text


def plot_agreement(path: Path, human: Sequence[ItemScore], judge: Sequence[ItemScore], rows: Sequence[dict]) -> None:
    """Left: judge vs mean human overall score per item, by model. Right: correlations with their intervals and
    the paper's 0.660."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from common.records import atomic_path

    h = {(i.question_id, i.model): i.scores.get("overall") for i in human}
    j = {(i.question_id, i.model): i.scores.get("overall") for i in judge}
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
    for model in sorted({m for _, m in h.keys() & j.keys()}):
        keys = [k for k in h.keys() & j.keys() if k[1] == model and h[k] is not None and j[k] is not None]
        left.scatter([h[k] for k in keys], [j[k] for k in keys], label=model, alpha=0.7, s=18)
    left.plot([1, 5], [1, 5], color="grey", linewidth=0.8, linestyle=":")
    left.set(xlabel="human overall score (mean of raters)", ylabel="judge overall score (mean of orders)",
             xlim=(0.8, 5.2), ylim=(0.8, 5.2), title="Per item")
    left.legend(fontsize="small")
    shown = [r for r in rows if r["score"] == "overall"]
    names = [f"{r['level']}\n{r['method'].split()[0]}" for r in shown]
    values = [0.0 if math.isnan(r["value"]) else r["value"] for r in shown]
    errs = [[max(v - r["low"], 0) if not math.isnan(r["low"]) else 0 for v, r in zip(values, shown)],
            [max(r["high"] - v, 0) if not math.isnan(r["high"]) else 0 for v, r in zip(values, shown)]]
    right.bar(range(len(shown)), values, yerr=errs, capsize=3, color="tab:blue")
    right.axhline(PAPER_CORRELATION, color="tab:red", linestyle="--", label=f"paper (GPT-4): {PAPER_CORRELATION:.3f}")
    right.set_xticks(range(len(shown)))
    right.set_xticklabels(names, fontsize="small")
    right.set(ylim=(-1, 1), ylabel="correlation", title="Overall score: judge vs. humans (95% CI)")
    right.legend(fontsize="small", loc="lower right")
    fig.tight_layout()
    with atomic_path(path, suffix=".png") as tmp:
        fig.savefig(tmp, format="png", dpi=120)
    plt.close(fig)
