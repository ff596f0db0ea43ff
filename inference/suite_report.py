"""The report of `inference.suite`: every unit's predictions scored once, then the tables (see inference.suite).

Scoring is the project's own: `inference.scoring` reads every output under both answer rules (strict: the trained
answer line; lenient: a careful reader, never a letter that is not an option), `inference.scoring.accuracy_by`
gives accuracy with its bootstrap interval, `inference.scoring.score_language_rationales` scores rationales
(MedExpQA's doctors' explanations) as MMedBench's are scored.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from common.cli import UserError
from common.records import RejectLog, read_jsonl, write_jsonl, write_text
from inference.metrics import METRIC_NAMES
from inference.predictions import Prediction, load_predictions
from inference.scoring import (
    ACCURACY_RULES,
    GroupAccuracy,
    RationaleTable,
    ScoredRecord,
    accuracy_by,
    score_language_rationales,
    score_records,
)
from inference.suite_config import SuiteConfig, SuiteUnit
from inference.tables import (
    LEADERBOARD_COLUMNS,
    fmt,
    leaderboard_rows,
    markdown_table,
    mean_of_present,
    write_csv,
)

TITLES = {"mmedbench": "MMedBench", "xmedbench": "XMedBench", "medexpqa": "MedExpQA", "kormedmcqa": "KorMedMCQA",
          "global_mmlu": "Global-MMLU", "mmlu_prox": "MMLU-ProX"}

# Published rows users compare with (accuracy %, MMedBench test). Sources: the paper's Table 2 (MMed-Llama 3 8B, and
# GPT-4's average), the authors' README for MMed-Llama 3.1-70B (average only). /work/shared/PAPER.md "Headline
# results"; a cell they do not give stays empty.
REFERENCE_ROWS: tuple[tuple[str, str, dict[str, float]], ...] = (
    ("MMed-Llama 3 8B", "paper, Table 2", {"en": 66.06, "zh": 79.25, "ja": 61.81, "fr": 55.63, "ru": 75.39,
                                           "es": 68.38, "avg": 67.75}),
    ("MMed-Llama 3.1-70B", "authors' README", {"avg": 80.51}),
    ("GPT-4", "paper, Table 2 (zero-shot)", {"avg": 74.27}),
)


@dataclass
class UnitResult:
    unit: SuiteUnit
    records: list[Prediction]
    scored: list[ScoredRecord]
    accuracy: dict[str, GroupAccuracy]  # rule -> accuracy
    rationale: RationaleTable | None
    rejected: int  # input records generation rejected (bad records with on_bad_record: skip, prompts too long)


def score_unit(cfg: SuiteConfig, unit: SuiteUnit, rejects: RejectLog) -> UnitResult:
    folder = Path(cfg.output) / unit.folder
    records, _dups = load_predictions(folder, cfg.on_bad_record, rejects)
    if not records:
        raise UserError(f"{folder}: no predictions to score (every question rejected? see its rejects.jsonl)")
    scored, _tables = score_records(records, cfg.metrics, None)
    accuracy = {}
    for rule in ACCURACY_RULES:
        groups = accuracy_by(scored, lambda r: "all", rule, cfg.bootstrap_samples, cfg.seed)
        accuracy[rule] = groups["all"]
    with_reference = [it for it in scored
                      if it.rec.mode == "rationale" and it.rec.human_check_passed and it.rec.gold_rationale]
    rationale = (score_language_rationales(with_reference, records[0].language, cfg.metrics, None)
                 if with_reference else None)
    input_rejects = folder / "rejects.jsonl"
    rejected = len(read_jsonl(input_rejects)) if input_rejects.exists() else 0
    return UnitResult(unit, records, scored, accuracy, rationale, rejected)


def _title(result: UnitResult) -> str:
    return TITLES[result.unit.bench.name]


def accuracy_rows(results: list[UnitResult]) -> list[list[object]]:
    rows = []
    for r in results:
        main = r.accuracy["strict"]
        row: list[object] = [_title(r), r.unit.code, r.records[0].language, main.n, r.rejected, main.mode,
                             r.unit.bench.scoring]
        for rule in ACCURACY_RULES:
            g = r.accuracy[rule]
            row += [fmt(g.accuracy), fmt(g.ci[0]), fmt(g.ci[1]), g.credited, fmt(100 * g.credited / g.n)]
        rows.append(row)
    return rows


ACCURACY_HEADER = ["Benchmark", "Code", "Language", "Questions", "Rejected", "Mode", "Scoring",
                   *(f"{rule} {col}" for rule in ACCURACY_RULES
                     for col in ("accuracy", "CI low", "CI high", "read", "read %"))]


def table_columns(results: list[UnitResult]) -> list[str]:
    """Per benchmark, one column per language and then its average (the unweighted mean over its languages, as the
    paper's Avg); MMedBench's average is always there: every reference row fills it."""
    titles = list(dict.fromkeys([*(_title(r) for r in results), "MMedBench"]))
    return [col for title in titles for col in
            [*(f"{title}:{r.unit.code}" for r in results if _title(r) == title), f"{title}:avg"]]


def table_rows(results: list[UnitResult], cfg: SuiteConfig) -> list[list[str]]:
    """Ours (the configured rule) and the reference rows, one column per benchmark:language."""
    cols = table_columns(results)
    ours = {f"{_title(r)}:{r.unit.code}": r.accuracy[cfg.accuracy_rule].accuracy for r in results}
    for col in (c for c in cols if c.endswith(":avg")):
        title = col.split(":")[0]
        ours[col] = mean_of_present([v for k, v in ours.items() if k.startswith(f"{title}:") and k != col])
    rows = [[cfg.model_name, "this run", *(fmt(ours.get(c)) for c in cols)]]
    if cfg.references:
        for name, source, cells in REFERENCE_ROWS:
            values = {f"MMedBench:{k}": v for k, v in cells.items()}
            rows.append([name, source, *(fmt(values.get(c)) for c in cols)])
    return rows


def cultural_rows(results: list[UnitResult], cfg: SuiteConfig) -> list[list[object]]:
    """Global-MMLU per cultural sensitivity label (CS: needs cultural knowledge; CA: agnostic; "": not annotated),
    read from the benchmark's own files: accuracy under the summary's rule with its interval."""
    from common.mmedbench import question_key
    from inference import multilingual_benchmarks as multi

    rows = []
    for r in results:
        b = r.unit.bench
        if b.name != "global_mmlu":
            continue
        labels = multi.cultural_labels(b.path, r.unit.code)
        by_key = {question_key(q.id): labels.get(q.question, "") for q in
                  multi.load_language(b.name, b.path, r.unit.code, "skip", RejectLog(None), b.subsets or None)}
        groups = accuracy_by(r.scored, lambda rec, keys=by_key: keys.get(question_key(rec.id), "")
                             or "not annotated", cfg.accuracy_rule, cfg.bootstrap_samples, cfg.seed)
        for label in sorted(groups):
            g = groups[label]
            rows.append([r.unit.code, label, g.n, fmt(g.accuracy), f"{fmt(g.ci[0])} - {fmt(g.ci[1])}"])
    return rows


def rationale_rows(results: list[UnitResult]) -> list[list[object]]:
    return [[_title(r), r.unit.code, r.rationale.n, r.rationale.empty,
             *(fmt(r.rationale.means.get(m)) for m in METRIC_NAMES if m != "BERTScore")]
            for r in results if r.rationale]


def write_leaderboards(out: Path, results: list[UnitResult]) -> None:
    by_bench: dict[str, list[UnitResult]] = {}
    for r in results:
        by_bench.setdefault(r.unit.bench.name, []).append(r)
    for name, rs in by_bench.items():
        answers, rationales = leaderboard_rows([rec for r in rs for rec in r.records])
        write_csv(out / "leaderboard" / name / "multi_choice_results.csv", LEADERBOARD_COLUMNS, answers)
        if rationales:
            write_csv(out / "leaderboard" / name / "rationale_results.csv", LEADERBOARD_COLUMNS, rationales)


def results_markdown(results: list[UnitResult], cfg: SuiteConfig, rejected: int) -> str:
    cols = table_columns(results)
    parts = ["# Benchmark suite results\n\n",
             f"Model: {cfg.model}{' + ' + cfg.adapter if cfg.adapter else ''}; answer rule of the summary table: "
             f"{cfg.accuracy_rule}; rationale metrics: {cfg.metrics}. Rejected: input records generation left out "
             f"(each unit's predictions folder, rejects.jsonl); {rejected} prediction records rejected here "
             "(rejects.jsonl). Per-record readings: records.jsonl.\n\n",
             "## Accuracy (%) per benchmark and language\n\n",
             markdown_table(ACCURACY_HEADER, accuracy_rows(results)),
             "\nstrict: only the trained answer line counts; lenient: the answer a careful reader sees, never a "
             "letter that is not an option (docs/answer_parsing.md). \"read\" is how many outputs the rule found an "
             "answer in; CI is the 95% bootstrap interval "
             f"({cfg.bootstrap_samples} resamples, seed {cfg.seed}).\n\n",
             f"## Summary ({cfg.accuracy_rule} rule) with reference rows\n\n",
             markdown_table(["Model", "Source", *cols], table_rows(results, cfg)),
             "\nReference rows are published MMedBench numbers (the paper's Table 2; the authors' README for "
             "MMed-Llama 3.1-70B): they compare with our MMedBench columns only, and only when the same test set "
             "and answer rule are used (docs/benchmarks.md).\n"]
    cultural = cultural_rows(results, cfg)
    if cultural:
        parts += [f"\n## Global-MMLU by cultural sensitivity label ({cfg.accuracy_rule} rule)\n\n",
                  markdown_table(["Code", "Label", "Questions", "Accuracy", "95% CI"], cultural),
                  "\nCS: the question needs cultural, regional or dialect knowledge; CA: it does not (the dataset's "
                  "`cultural_sensitivity_label`; most questions are not annotated).\n"]
    rat = rationale_rows(results)
    if rat:
        parts += ["\n## Rationale similarity (%) against the reference explanations\n\n",
                  markdown_table(["Benchmark", "Code", "Rationales", "Empty (scored 0)",
                                  *(m for m in METRIC_NAMES if m != "BERTScore")], rat),
                  "\nMedExpQA's references are the doctors' explanations (full_answer_no_ref); each cell is the mean "
                  "of per-record scores.\n"]
    return "".join(parts)


def write_report(out: Path, cfg: SuiteConfig, units: list[SuiteUnit]) -> dict[str, int]:
    """Score every unit and write the report into `out` (the run's staging folder); returns the counts."""
    rejects = RejectLog(out / "rejects.jsonl")
    results = [score_unit(cfg, unit, rejects) for unit in units]
    rejects.close()
    acc = accuracy_rows(results)
    write_csv(out / "suite_accuracy.csv", ACCURACY_HEADER, acc)
    write_csv(out / "suite_table.csv", ["Model", "Source", *table_columns(results)], table_rows(results, cfg))
    write_jsonl(out / "records.jsonl", ({**it.log_line(cfg.accuracy_rule), "benchmark": r.unit.bench.name,
                                         "code": r.unit.code} for r in results for it in r.scored))
    write_leaderboards(out, results)
    write_text(out / "results.md", results_markdown(results, cfg, rejects.count))
    return {"units": len(results), "records": sum(len(r.records) for r in results), "rejected": rejects.count}
