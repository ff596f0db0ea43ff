"""Score each prediction once: the letters each answer rule reads, right or wrong, and its rationale scores.

`inference.evaluate` writes records.jsonl and every table from these scored records, so a table cell can always
be traced to the records behind it (lm-evaluation-harness keeps per-sample logs the same way).

- Answers: every rule of `inference.parse.RULES` reads every record: `strict` (only the trained answer line, the
  authors' rule) and `lenient` (a careful reader). A letter outside the question's options is never read.
- Rationales (rationale-mode records whose reference passed the human check): BLEU-1..4 and ROUGE-1/2/L per
  record with the chosen `metrics` (`paper`: the authors' code path; `corrected`: ours; docs/metrics.md), and
  BERTScore F1 where the BERTScore model can represent the language (else the cell is left empty and the reason
  is reported).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal, get_args

from inference.metrics import RATIONALE_METRICS, BertScore, bootstrap_ci, is_empty_pair, score_rationale_pairs
from inference.metrics_paper import paper_candidate
from inference.parse import RULES, extract_rationale, is_correct
from inference.predictions import Prediction

AccuracyRule = Literal["strict", "lenient"]  # a config field's type: one of the parsers in inference.parse.RULES
ACCURACY_RULES: tuple[str, ...] = get_args(AccuracyRule)
assert set(ACCURACY_RULES) == set(RULES), "AccuracyRule lists every parser rule"


@dataclass
class ScoredRecord:
    rec: Prediction
    answers: dict[str, dict] = field(default_factory=dict)  # rule -> {"parsed", "rule", "correct"}
    rationale: dict[str, float | None] | None = None  # metric -> percent (None: not computed); None: not scored
    empty_rationale: bool = False

    @property
    def group(self) -> str:
        return self.rec.benchmark or self.rec.language

    def log_line(self, primary_rule: str) -> dict:
        """One line of records.jsonl: the primary rule's reading at top level, every rule under `by_rule`."""
        rec, main = self.rec, self.answers[primary_rule]
        line = {"id": rec.id, "language": rec.language, "mode": rec.mode}
        if rec.benchmark:
            line["benchmark"] = rec.benchmark
        line.update(gold=sorted(rec.gold_answer), parsed=main["parsed"], rule=main["rule"],
                    correct=main["correct"], by_rule=self.answers)
        if self.rationale is not None:
            line["rationale_scores"] = self.rationale
            line["empty_rationale"] = self.empty_rationale
        return line


def read_answer(rec: Prediction) -> dict[str, dict]:
    """What each rule reads in the output, and whether it is right."""
    out = {}
    for name, rule in RULES.items():
        parsed = rule(rec.output, rec.options)
        out[name] = {"parsed": list(parsed.letters) if parsed.letters is not None else None, "rule": parsed.rule,
                     "correct": is_correct(parsed, rec.gold_answer, rec.options)}
    return out


def scores_rationale(rec: Prediction) -> bool:
    return rec.mode == "rationale" and rec.human_check_passed and not rec.benchmark


def candidate_rationale(output: str, metrics: str) -> str:
    """The generated rationale as each metrics set reads it (paper: exactly the authors' string operations)."""
    return paper_candidate(output) if metrics == "paper" else extract_rationale(output)


@dataclass
class RationaleTable:
    """One language's rationale results: the means for the table, and what was left out and why."""

    means: dict[str, float] = field(default_factory=dict)
    n: int = 0
    empty: int = 0
    bertscore_note: str = ""


def score_language_rationales(items: Sequence[ScoredRecord], language: str, metrics: str,
                              bert: BertScore | None) -> RationaleTable:
    """Per-record scores (stored on the items) and the language's means (the authors' aggregation: mean of
    per-record scores)."""
    cands = [candidate_rationale(it.rec.output, metrics) for it in items]
    refs = [it.rec.gold_rationale for it in items]
    rows = score_rationale_pairs(metrics, cands, refs, language)
    table = RationaleTable(n=len(items))
    bert_f1: list[float] | None = None
    if bert is not None:
        ok, table.bertscore_note = bert.applicable(refs, language)
        if ok:
            bert_f1 = [100 * min(x, 1.0) for x in bert.f1(cands, refs)]
    for k, (it, row) in enumerate(zip(items, rows, strict=True)):
        it.empty_rationale = is_empty_pair(cands[k], refs[k], language)
        table.empty += it.empty_rationale
        it.rationale = {**row, "BERTScore": bert_f1[k] if bert_f1 is not None else None}
    for metric in RATIONALE_METRICS:
        table.means[metric] = sum(r[metric] for r in rows) / len(rows)
    if bert_f1 is not None:
        table.means["BERTScore"] = sum(bert_f1) / len(bert_f1)
    return table


def score_records(records: Sequence[Prediction], metrics: str, bert: BertScore | None
                  ) -> tuple[list[ScoredRecord], dict[str, RationaleTable]]:
    """Every record scored once; rationale tables per language."""
    scored = [ScoredRecord(rec, read_answer(rec)) for rec in records]
    by_language: dict[str, list[ScoredRecord]] = defaultdict(list)
    for item in scored:
        if scores_rationale(item.rec):
            by_language[item.rec.language].append(item)
    tables = {lang: score_language_rationales(items, lang, metrics, bert)
              for lang, items in by_language.items()}
    return scored, tables


# ---------------------------------------------------------------------------------------------- accuracy


@dataclass
class GroupAccuracy:
    n: int
    correct: int
    unparsed: int
    mode: str
    ci: tuple[float, float]

    @property
    def credited(self) -> int:
        return self.n - self.unparsed

    @property
    def accuracy(self) -> float:
        return 100.0 * self.correct / self.n


def group_accuracy(items: list[ScoredRecord], mode: str, rule: str, samples: int, seed: int) -> GroupAccuracy:
    flags = [it.answers[rule]["correct"] for it in items]
    unparsed = sum(it.answers[rule]["parsed"] is None for it in items)
    return GroupAccuracy(n=len(items), correct=sum(flags), unparsed=unparsed, mode=mode,
                         ci=bootstrap_ci(flags, samples, seed))


def accuracy_by(items: list[ScoredRecord], key: Callable[[Prediction], str], rule: str, samples: int, seed: int
                ) -> dict[str, GroupAccuracy]:
    """Per group (language or benchmark): answer-mode records, or the rationale-mode ones where a group has no
    answer-mode record."""
    groups: dict[str, dict[str, list[ScoredRecord]]] = defaultdict(lambda: defaultdict(list))
    for it in items:
        groups[key(it.rec)][it.rec.mode].append(it)
    out = {}
    for group, by_mode in groups.items():
        mode = "answer" if by_mode.get("answer") else "rationale"
        out[group] = group_accuracy(by_mode[mode], mode, rule, samples, seed)
    return out
