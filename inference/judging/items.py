"""The questions of a rationale study: rated by people and by the LLM judge alike.

A study item is one test question with the rationale every compared model wrote for it (rationale-mode prediction
records, DESIGN.md "Prediction record"). Only questions every model answered are rated, so each comparison is
between the same set of models; the questions left out are counted, never dropped silently. `per_language`
questions are drawn per language with a seeded generator (same predictions and seed, same questions), and each
view of an item (a rater's sheet, a judge call) shows the rationales in its own seeded order, so position favours
no model.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from common.languages import resolve
from common.mmedbench import line_of, load_split
from common.records import RejectLog
from inference.parse import extract_rationale
from inference.predictions import Prediction, load_predictions, split_model_spec

CRITERIA = ("accuracy", "reasoning", "knowledge")
SCALE = (1, 5)  # every criterion: an integer from 1 (worst of the set) to 5 (best)


@dataclass(frozen=True)
class StudyItem:
    id: str
    language: str
    question: str
    options: dict[str, str]
    gold_answer: list[str]
    gold_rationale: str  # the benchmark's (GPT-4 written, human checked) rationale
    rationales: dict[str, str]  # model name -> its rationale, in the predictions' model order

    @property
    def models(self) -> list[str]:
        return list(self.rationales)

    @classmethod
    def from_predictions(cls, by_model: dict[str, Prediction], question: str) -> StudyItem:
        """One question's item from each model's rationale-mode prediction of it (the question and its gold
        come from the first model's record)."""
        first = next(iter(by_model.values()))
        return cls(id=first.id, language=first.language, question=question, options=first.options,
                   gold_answer=list(first.gold_answer), gold_rationale=first.gold_rationale,
                   rationales={m: extract_rationale(rec.output) for m, rec in by_model.items()})


def load_model_rationales(specs: Sequence[str], on_bad_record: str, rejects: RejectLog
                          ) -> dict[str, dict[str, Prediction]]:
    """model name -> question id -> its rationale-mode prediction record (a name given twice merges paths)."""
    by_model: dict[str, dict[str, Prediction]] = {}
    seen: dict[str, set] = {}
    for spec in specs:
        name, path = split_model_spec(spec)
        records, _ = load_predictions(path, on_bad_record, rejects, seen.setdefault(name, set()))
        kept = by_model.setdefault(name, {})
        kept.update({r.id: r for r in records if r.mode == "rationale" and not r.benchmark})
    for name, records in by_model.items():
        if not records:
            raise ValueError(f"model {name!r}: no rationale-mode MMedBench predictions (generate with "
                             "--modes rationale)")
    if len(by_model) < 2:
        names = [split_model_spec(spec)[0] for spec in specs]
        raise ValueError(f"--predictions: a rationale study compares models: give at least two models as "
                         f"name=path, got {len(specs)} path(s) of {len(by_model)} model(s) ({', '.join(names)}; "
                         "paths given under one name are merged into that model)")
    return by_model


def question_texts(data_dir: str) -> dict[str, str]:
    """id -> question text from the MMedBench Test folder the predictions were made on ('' = none)."""
    if not data_dir:
        return {}
    return {r.id: r.question for r in load_split(data_dir)}


def select_items(by_model: dict[str, dict[str, Prediction]], questions: dict[str, str], per_language: int,
                 languages: Sequence[str], only_human_checked: bool, seed: int) -> tuple[list[StudyItem], Counter]:
    """Sample `per_language` questions per language (0 = all) among those every model answered.

    Returns the items (in language, then line order) and counts of what was left out and why."""
    models = list(by_model)
    wanted = {resolve(x).name for x in languages}
    counts: Counter = Counter()
    common = set.intersection(*(set(records) for records in by_model.values()))
    counts["not_answered_by_every_model"] = len(set.union(*(set(r) for r in by_model.values())) - common)
    by_language: dict[str, list[str]] = {}
    for qid in common:
        rec = by_model[models[0]][qid]
        if wanted and rec.language not in wanted:
            continue
        if only_human_checked and not rec.human_check_passed:
            counts["reference_failed_human_check"] += 1
            continue
        by_language.setdefault(rec.language, []).append(qid)
    rng = random.Random(seed)
    items = []
    for language in sorted(by_language):
        ids = sorted(by_language[language], key=lambda x: (line_of(x), x))
        chosen = ids if not per_language or per_language >= len(ids) else rng.sample(ids, per_language)
        for qid in sorted(chosen, key=lambda x: (line_of(x), x)):
            if qid not in questions:
                counts["question_text_from_prompt"] += 1
            predictions = {m: by_model[m][qid] for m in models}
            items.append(StudyItem.from_predictions(predictions, questions.get(qid, predictions[models[0]].prompt)))
    if not items:
        raise ValueError("no question to rate: the models share no rationale-mode question"
                         + (" in the selected languages" if wanted else "")
                         + (" whose reference passed the human check" if only_human_checked else ""))
    return items, counts


def view_order(item: StudyItem, seed: int, salt: str) -> list[str]:
    """The models of `item` in a seeded order of their own for one view (a rater's sheet, a judge call)."""
    models = item.models
    random.Random(f"{seed}:{salt}:{item.id}").shuffle(models)
    return models


def label(position: int) -> str:
    """The anonymous name of the rationale shown at `position` (0-based): R1, R2, ..."""
    return f"R{position + 1}"


def options_text(options: dict[str, str]) -> str:
    return "\n".join(f"{k}. {v}" for k, v in options.items())

