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
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from inference.judge_items import CRITERIA, SCALE
from inference.judge_sheets import Rating
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


def bootstrap(statistic: Callable[[list[str]], float], questions: Sequence[str], samples: int, seed: int
              ) -> tuple[float, float, float]:
    """(value, low, high): the statistic on all questions and its 95% percentile interval over resampled
    questions (resamples where it is undefined, e.g. a constant vector, are left out)."""
    value = statistic(list(questions))
    rng = np.random.default_rng(seed)
    draws = [statistic([questions[i] for i in rng.integers(0, len(questions), len(questions))])
             for _ in range(samples)]
    draws = [d for d in draws if not math.isnan(d)]
    if not draws:
        return value, math.nan, math.nan
    low, high = np.percentile(draws, [2.5, 97.5])
    return value, float(low), float(high)


def _by_question(items: Sequence[ItemScore]) -> dict[str, list[ItemScore]]:
    out: dict[str, list[ItemScore]] = defaultdict(list)
    for it in items:
        out[it.question_id].append(it)
    return out


def _model_means(groups: dict[str, list[ItemScore]], questions: Sequence[str], score: str) -> dict[str, float]:
    sums: dict[str, list[float]] = defaultdict(list)
    for q in questions:
        for it in groups[q]:
            if score in it.scores:
                sums[it.model].append(it.scores[score])
    return {m: float(np.mean(v)) for m, v in sums.items()}


def model_scores(items: Sequence[ItemScore], samples: int, seed: int) -> dict[str, dict[str, tuple]]:
    """model -> score -> (mean, low, high)."""
    groups = _by_question(items)
    questions = sorted(groups)
    models = sorted({it.model for it in items})
    out: dict[str, dict[str, tuple]] = {m: {} for m in models}
    for score in SCORES:
        for m in models:
            out[m][score] = bootstrap(lambda qs, m=m, score=score: _model_means(groups, qs, score).get(m, math.nan),
                                      questions, samples, seed)
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


def correlation(kind: str, x: Sequence[float], y: Sequence[float]) -> float:
    """Spearman or Kendall (tau-b); NaN when either side is constant or has fewer than 2 values."""
    from scipy.stats import kendalltau, spearmanr

    if len(x) < 2 or len(set(x)) < 2 or len(set(y)) < 2:
        return math.nan
    return float((spearmanr if kind == "spearman" else kendalltau)(x, y).statistic)


def agreement(human: Sequence[ItemScore], judge: Sequence[ItemScore], samples: int, seed: int
              ) -> tuple[list[dict], int]:
    """Rows (score, level, method, value, low, high, n) over the items both sides scored; and that count."""
    h = {(i.question_id, i.model): i for i in human}
    j = {(i.question_id, i.model): i for i in judge}
    shared = sorted(h.keys() & j.keys())
    if not shared:
        raise ValueError("the human and judge scores share no (question, model) item: were they made from the "
                         "same predictions and questions?")
    hq = _by_question([h[k] for k in shared])
    jq = _by_question([j[k] for k in shared])
    questions = sorted(hq)
    rows = []
    for score in SCORES:
        def pairs(qs, score=score):
            ks = [(it.question_id, it.model) for q in qs for it in hq[q]]
            ks = [k for k in ks if score in h[k].scores and score in j[k].scores]
            return [h[k].scores[score] for k in ks], [j[k].scores[score] for k in ks]

        def per_model(qs, kind, score=score):
            hm, jm = _model_means(hq, qs, score), _model_means(jq, qs, score)
            models = sorted(hm.keys() & jm.keys())
            return correlation(kind, [hm[m] for m in models], [jm[m] for m in models])

        # a question's own tau does not change when questions are resampled: compute it once
        tau_q = {q: correlation("kendall", *pairs([q])) for q in questions}

        def per_question(qs, tau_q=tau_q):
            taus = [tau_q[q] for q in qs if not math.isnan(tau_q[q])]
            return float(np.mean(taus)) if taus else math.nan

        n_items = len(pairs(questions)[0])
        for kind in ("spearman", "kendall"):
            rows.append({"score": score, "level": "item", "method": kind, "n": n_items,
                         **_ci(bootstrap(lambda qs, kind=kind: correlation(kind, *pairs(qs)), questions, samples, seed))})
            rows.append({"score": score, "level": "model", "method": kind,
                         "n": len({m for _, m in shared}),
                         **_ci(bootstrap(lambda qs, kind=kind: per_model(qs, kind), questions, samples, seed))})
        rows.append({"score": score, "level": "question", "method": "kendall (mean over questions)",
                     "n": len(questions), **_ci(bootstrap(per_question, questions, samples, seed))})
    return rows, len(shared)


def _ci(triple: tuple[float, float, float]) -> dict[str, float]:
    return dict(zip(("value", "low", "high"), triple))
