"""Statistics of a rationale study: per-item and per-model scores, inter-rater agreement, judge-human agreement.

Every interval is a percentile bootstrap over questions (a question's rationales are resampled together, since
they were rated side by side), with a fixed seed so reruns agree. Inter-rater agreement is Krippendorff's alpha
for ordinal data over units (question, model) on the 1-5 scale (`krippendorff` package). Judge-human agreement is
Spearman's rho and Kendall's tau-b (scipy) of the judge's scores against the raters' mean scores, per item
(question, model) and per model (the models' mean scores), and the mean per-question Kendall tau of the two
orderings of the models.
"""

from __future__ import annotations

import csv
import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from inference.judging.items import CRITERIA, SCALE
from inference.judging.sheets import Rating
from inference.tables import write_csv

SCORES = (*CRITERIA, "overall")  # overall = the mean of the three criteria
ITEM_COLUMNS = ("question_id", "language", "model", *SCORES, "n")
PAPER_CORRELATION = 0.660  # GPT-4 judge vs. the five raters (PAPER.md)


@dataclass(frozen=True)
class ItemScore:
    question_id: str
    language: str
    model: str
    scores: dict[str, float]  # SCORES -> mean over raters (or judge orders)
    n: int  # raters (or judge orders) behind the means


def item_scores(ratings: Iterable[tuple[str, str, str, dict[str, int]]]) -> list[ItemScore]:
    """Mean score per (question, model) from (question_id, language, model, scores) ratings."""
    groups: dict[tuple[str, str], list[dict[str, int]]] = defaultdict(list)
    language: dict[str, str] = {}
    for qid, lang, model, scores in ratings:
        groups[(qid, model)].append(scores)
        language[qid] = lang
    out = []
    for (qid, model), all_scores in sorted(groups.items()):
        means = {c: float(np.mean([s[c] for s in all_scores if c in s])) for c in CRITERIA
                 if any(c in s for s in all_scores)}
        if len(means) == len(CRITERIA):
            means["overall"] = float(np.mean([means[c] for c in CRITERIA]))
        out.append(ItemScore(qid, language[qid], model, means, len(all_scores)))
    return out


def human_item_scores(ratings: Sequence[Rating]) -> list[ItemScore]:
    return item_scores((r.question_id, r.language, r.model, r.scores) for r in ratings)


def write_items(path: Path, items: Sequence[ItemScore]) -> None:
    write_csv(path, ITEM_COLUMNS, [[i.question_id, i.language, i.model,
                                    *(_num(i.scores.get(s)) for s in SCORES), i.n] for i in items])


def read_items(path: Path) -> list[ItemScore]:
    if not path.is_file():
        raise FileNotFoundError(f"item scores not found: {path}")
    out = []
    with open(path, encoding="utf-8", newline="") as f:
        for row_no, row in enumerate(csv.DictReader(f), start=2):
            try:
                scores = {s: float(row[s]) for s in SCORES if row.get(s)}
                out.append(ItemScore(row["question_id"], row["language"], row["model"], scores, int(row["n"])))
            except (KeyError, ValueError) as err:
                raise ValueError(f"{path}: row {row_no}: {err}") from None
    return out


def _num(x: float | None) -> str:
    return "" if x is None or math.isnan(x) else f"{x:.4f}"


# ---------------------------------------------------------------------------------------------- bootstrap


def resamples(n_questions: int, samples: int, seed: int) -> np.ndarray:
    """(samples, n_questions) question indices drawn with replacement; the same seed, the same draws."""
    return np.random.default_rng(seed).integers(0, n_questions, size=(samples, n_questions))


def interval(value: float, draws: Sequence[float] | np.ndarray) -> tuple[float, float, float]:
    """(value, low, high): the 95% percentile interval of the draws where the statistic is defined."""
    draws = np.asarray(draws, dtype=np.float64)
    draws = draws[~np.isnan(draws)]
    if draws.size == 0:
        return value, math.nan, math.nan
    low, high = np.percentile(draws, [2.5, 97.5])
    return value, float(low), float(high)


@dataclass(frozen=True)
class ScoreTable:
    """One score as question x model sums and counts, so a resample of questions is a row gather."""

    questions: list[str]
    models: list[str]
    sums: np.ndarray
    counts: np.ndarray

    @classmethod
    def build(cls, items: Sequence[ItemScore], score: str, questions: list[str], models: list[str]) -> ScoreTable:
        qi = {q: i for i, q in enumerate(questions)}
        mi = {m: i for i, m in enumerate(models)}
        sums, counts = np.zeros((len(questions), len(models))), np.zeros((len(questions), len(models)))
        for it in items:
            if score in it.scores and it.question_id in qi and it.model in mi:
                sums[qi[it.question_id], mi[it.model]] += it.scores[score]
                counts[qi[it.question_id], mi[it.model]] += 1
        return cls(questions, models, sums, counts)

    def model_means(self, rows: np.ndarray | None = None) -> np.ndarray:
        """Per model mean over the given question rows (all by default); (..., models), NaN where none."""
        sums = self.sums if rows is None else self.sums[rows].sum(axis=-2)
        counts = self.counts if rows is None else self.counts[rows].sum(axis=-2)
        if rows is None:
            sums, counts = sums.sum(axis=0), counts.sum(axis=0)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)


def model_scores(items: Sequence[ItemScore], samples: int, seed: int) -> dict[str, dict[str, tuple]]:
    """model -> score -> (mean, low, high), the interval over resampled questions."""
    questions = sorted({it.question_id for it in items})
    models = sorted({it.model for it in items})
    draws = resamples(len(questions), samples, seed)
    out: dict[str, dict[str, tuple]] = {m: {} for m in models}
    for score in SCORES:
        table = ScoreTable.build(items, score, questions, models)
        full, boot = table.model_means(), table.model_means(draws)
        for k, m in enumerate(models):
            out[m][score] = interval(float(full[k]), boot[:, k])
    return out


# ---------------------------------------------------------------------------------------------- agreement


def inter_rater_alpha(ratings: Sequence[Rating]) -> dict[str, float]:
    """Krippendorff's alpha (ordinal, 1-5 domain) per criterion over units (question, model); NaN with < 2
    raters."""
    import krippendorff

    raters = sorted({r.rater for r in ratings})
    units = sorted({(r.question_id, r.model) for r in ratings})
    if len(raters) < 2:
        return {c: math.nan for c in CRITERIA}
    col = {u: j for j, u in enumerate(units)}
    row = {r: i for i, r in enumerate(raters)}
    out = {}
    for crit in CRITERIA:
        data = np.full((len(raters), len(units)), np.nan)
        for r in ratings:
            if crit in r.scores:
                data[row[r.rater], col[(r.question_id, r.model)]] = r.scores[crit]
        try:
            out[crit] = float(krippendorff.alpha(reliability_data=data, level_of_measurement="ordinal",
                                                 value_domain=list(range(SCALE[0], SCALE[1] + 1))))
        except ValueError:  # one value only: no variation to agree on
            out[crit] = math.nan
    return out


def correlation(kind: str, x: Sequence[float] | np.ndarray, y: Sequence[float] | np.ndarray) -> float:
    """Spearman or Kendall (tau-b) over the pairs where both are defined; NaN when either side is constant or
    fewer than 2 pairs remain."""
    from scipy.stats import kendalltau, spearmanr

    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    keep = ~(np.isnan(x) | np.isnan(y))
    x, y = x[keep], y[keep]
    if x.size < 2 or np.unique(x).size < 2 or np.unique(y).size < 2:
        return math.nan
    return float((spearmanr if kind == "spearman" else kendalltau)(x, y).statistic)


def _nanmean_rows(values: np.ndarray) -> np.ndarray:
    counts = (~np.isnan(values)).sum(axis=-1)
    sums = np.nansum(values, axis=-1)
    return np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)


def agreement(human: Sequence[ItemScore], judge: Sequence[ItemScore], samples: int, seed: int
              ) -> tuple[list[dict], int]:
    """Rows (score, level, method, value, low, high, n) over the items both sides scored; and that count."""
    h = {(i.question_id, i.model): i for i in human}
    j = {(i.question_id, i.model): i for i in judge}
    shared = sorted(h.keys() & j.keys())
    if not shared:
        raise ValueError("the human and judge scores share no (question, model) item: were they made from the "
                         "same predictions and questions?")
    questions = sorted({q for q, _ in shared})
    models = sorted({m for _, m in shared})
    draws = resamples(len(questions), samples, seed)
    rows = []
    for score in SCORES:
        keys = [k for k in shared if score in h[k].scores and score in j[k].scores]
        hv = np.array([h[k].scores[score] for k in keys])
        jv = np.array([j[k].scores[score] for k in keys])
        of_question: dict[str, list[int]] = defaultdict(list)
        for n, (q, _) in enumerate(keys):
            of_question[q].append(n)
        by_q = [np.array(of_question[q], dtype=np.int64) for q in questions]
        hs = ScoreTable.build([h[k] for k in keys], score, questions, models)
        js = ScoreTable.build([j[k] for k in keys], score, questions, models)
        h_boot, j_boot = hs.model_means(draws), js.model_means(draws)
        for kind in ("spearman", "kendall"):
            item_draws = [correlation(kind, hv[ix], jv[ix]) for ix in (np.concatenate([by_q[i] for i in r])
                                                                       for r in draws)]
            rows.append({"score": score, "level": "item", "method": kind, "n": len(keys),
                         **_ci(interval(correlation(kind, hv, jv), item_draws))})
            model_draws = [correlation(kind, h_boot[b], j_boot[b]) for b in range(samples)]
            rows.append({"score": score, "level": "model", "method": kind, "n": len(models),
                         **_ci(interval(correlation(kind, hs.model_means(), js.model_means()), model_draws))})
        # a question's own tau does not change when questions are resampled: compute it once
        tau_q = np.array([correlation("kendall", hv[ix], jv[ix]) for ix in by_q])
        rows.append({"score": score, "level": "question", "method": "kendall (mean over questions)",
                     "n": len(questions),
                     **_ci(interval(float(_nanmean_rows(tau_q)), _nanmean_rows(tau_q[draws])))})
    return rows, len(shared)


def _ci(triple: tuple[float, float, float]) -> dict[str, float]:
    return dict(zip(("value", "low", "high"), triple))
