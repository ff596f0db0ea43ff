"""Rationale quality judged as in the paper: rating sheets for people, an LLM judge, and their agreement.

    python -m inference.judge sheets --config configs/inference/judge.yaml \\
        --predictions ours=outputs/ours base=outputs/base --output outputs/judge/sheets
    # each rater fills accuracy / reasoning / knowledge (1-5) in outputs/judge/sheets/for_raters/rater_<name>.csv
    python -m inference.judge score --sheets 'outputs/judge/sheets/for_raters/rater_*.csv' --output outputs/judge/human
    python -m inference.judge run --config configs/inference/judge.yaml --predictions ours=... base=... \\
        --judge.base_url http://127.0.0.1:8000/v1 --judge.model my-judge --output outputs/judge/llm
    python -m inference.judge agreement --human_scores outputs/judge/human --judge_scores outputs/judge/llm \\
        --output outputs/judge/agreement

The scheme (the paper's relative rating): per question, every model's rationale is shown side by side,
anonymised (R1, R2, ...) and shuffled, and gets three integer scores from 1 to 5 relative to the others:
accuracy, reasoning, knowledge integration; `overall` is their mean. `sheets` and `run` draw the same questions
(same predictions, per_language, languages and seed). Outputs:
  sheets     for_raters/rater_<name>.csv (UTF-8 with BOM) and for_raters/INSTRUCTIONS.md (the folder to hand
             out); mapping.csv (label -> model) beside it, kept from the raters
  score      human_items.csv, human_scores.csv (per model, bootstrap 95% CI), inter_rater.csv
             (Krippendorff's alpha, ordinal), results.md
  run        judgements.jsonl, unparsed.jsonl, failed.jsonl, judge_items.csv, judge_scores.csv,
             position_bias.json, usage.json (tokens, cost), results.md; replies cached in cache.jsonl
  agreement  agreement.csv, agreement.md, agreement.png (Spearman/Kendall per item, per model, per question,
             bootstrap 95% CI, beside the paper's 0.660)
The judge's API key is read from the environment variable named by judge.api_key_env; it is never stored.
"""

from __future__ import annotations

import glob
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from common.cli import UserError, cli
from common.config import bad, load_config
from common.records import OnBadRecord, RejectLog, write_json, write_jsonl, write_text
from common.run import Run
from inference.judging.items import StudyItem, load_model_rationales, question_texts, select_items
from inference.predictions import gather_prediction_args


@dataclass
class JudgeBackendConfig:
    kind: Literal["http", "local"] = field(default="http", metadata={
        "help": "http (OpenAI-compatible endpoint) or local (HF model dir)"})
    base_url: str = field(default="", metadata={"help": "http: endpoint base, e.g. http://127.0.0.1:8000/v1"})
    model: str = field(default="", metadata={"help": "http: the served model's name; local: the HF model dir"})
    api_key_env: str = field(default="", metadata={
        "help": "http: name of the environment variable holding the API key ('' = send none)"})
    temperature: float = field(default=0.0, metadata={"help": "http: sampling temperature (0 = greedy)"})
    max_tokens: int = field(default=1024, metadata={"help": "longest reply in tokens"})
    timeout_s: float = field(default=120.0, metadata={"help": "http: seconds per request"})
    max_retries: int = field(default=5, metadata={"help": "http: retries on 429/408/5xx/timeouts"})
    backoff_s: float = field(default=1.0, metadata={"help": "http: first retry wait, doubled per retry"})
    concurrency: int = field(default=4, metadata={"help": "requests in flight at once (threads)"})
    device: str = field(default="auto", metadata={"help": "local: auto | cpu | cuda"})
    dtype: Literal["auto", "float32", "bfloat16", "float16"] = field(default="auto", metadata={"help": "local"})
    trust_remote_code: bool = field(default=False, metadata={"help": "local: allow model code from the dir"})
    price_per_1k_prompt: float = field(default=0.0, metadata={"help": "cost per 1000 prompt tokens"})
    price_per_1k_completion: float = field(default=0.0, metadata={"help": "cost per 1000 completion tokens"})


@dataclass
class JudgeConfig:
    command: Literal["sheets", "score", "run", "agreement"] | None = field(default=None, metadata={
        "help": "what to do (also the first positional argument)"})
    predictions: list[str] = field(default_factory=list, metadata={
        "help": "sheets/run: rationale-mode predictions of each model, name=path (file or folder)"})
    data: str = field(default="samples/mmedbench/Test", metadata={
        "help": "sheets/run: MMedBench Test/ dir for the question texts ('' = show the prompt)"})
    languages: list[str] = field(default_factory=list, metadata={"help": "sheets/run: only these (empty: all)"})
    per_language: int = field(default=20, metadata={"help": "sheets/run: questions per language (0 = all)"})
    only_human_checked: bool = field(default=True, metadata={
        "help": "sheets/run: only questions whose reference rationale passed the human check"})
    seed: int = field(default=0, metadata={"help": "question sample, display orders and bootstrap seed"})
    raters: list[str] = field(default_factory=lambda: ["r1", "r2", "r3", "r4", "r5"], metadata={
        "help": "sheets: one sheet per rater name"})
    show_reference: bool = field(default=False, metadata={
        "help": "sheets/run: show the benchmark's reference rationale to raters and judge"})
    sheets: list[str] = field(default_factory=list, metadata={"help": "score: filled sheets (files or globs)"})
    mapping: str = field(default="", metadata={"help": "score: mapping.csv ('' = beside the first sheet or one folder up)"})
    allow_incomplete: bool = field(default=False, metadata={
        "help": "score: skip and count empty score cells instead of failing"})
    orders: int = field(default=2, metadata={"help": "run: orders each question is judged in (>= 2)"})
    cache: str = field(default="", metadata={"help": "run: reply cache JSONL ('' = <output>/cache.jsonl)"})
    human_scores: str = field(default="", metadata={"help": "agreement: folder written by score"})
    judge_scores: str = field(default="", metadata={"help": "agreement: folder written by run"})
    bootstrap_samples: int = field(default=1000, metadata={"help": "bootstrap resamples of the questions"})
    on_bad_record: OnBadRecord = field(default="error", metadata={"help": "skip: into rejects.jsonl"})
    output: str = field(default="outputs/judge", metadata={"help": "output folder"})
    judge: JudgeBackendConfig = field(default_factory=JudgeBackendConfig)

    def validate(self) -> None:
        if self.command is None:
            bad("command", "give sheets, score, run or agreement")
        if self.orders < 2:
            bad("orders", f"must be >= 2 (each question judged in more than one order: position-bias control), "
                f"got {self.orders}")
        if self.command == "agreement":
            for name in ("human_scores", "judge_scores"):
                if not getattr(self, name):
                    bad(name, "agreement needs --human_scores and --judge_scores (the folders of `score` and `run`)")
        if self.command == "run" and not self.judge.model:
            bad("judge.model", "run needs the served model's name (http) or the HF model dir (local)")
        if self.command == "run" and self.judge.kind == "http" and not self.judge.base_url:
            bad("judge.base_url", "run needs the endpoint, e.g. http://127.0.0.1:8000/v1")


# ---------------------------------------------------------------------------------------------- commands


def study_items(cfg: JudgeConfig, out_dir: Path, counts: Counter) -> list[StudyItem]:
    rejects = RejectLog(out_dir / "rejects.jsonl")
    by_model = load_model_rationales(cfg.predictions, cfg.on_bad_record, rejects)
    items, left_out = select_items(by_model, question_texts(cfg.data), cfg.per_language, cfg.languages,
                                   cfg.only_human_checked, cfg.seed)
    rejects.close()
    counts.update(left_out)
    counts.update(questions=len(items), models=len(by_model), rejected=rejects.count)
    print(f"{len(items)} question(s) x {len(by_model)} models ({', '.join(by_model)}); left out: "
          f"{dict(left_out) or 'none'}; {rejects.count} rejected record(s)")
    return items


def cmd_sheets(cfg: JudgeConfig, run: Run, out_dir: Path) -> None:
    from inference.judging.sheets import write_sheets

    counts = run.counts

    items = study_items(cfg, out_dir, counts)
    paths = write_sheets(items, cfg.raters, out_dir, cfg.show_reference, cfg.seed)
    counts["sheets"] = len(paths)
    print(f"out: {len(paths)} sheet(s) and INSTRUCTIONS.md in {run.out_dir / 'for_raters'} (hand these out); "
          f"{run.out_dir / 'mapping.csv'} maps labels to models: keep it from the raters")


def _sheet_paths(specs: list[str]) -> list[Path]:
    paths = []
    for spec in specs:
        matches = sorted(glob.glob(spec)) if any(ch in spec for ch in "*?[") else [spec]
        if not matches:
            raise FileNotFoundError(f"no sheet matches {spec}")
        for m in matches:
            if not Path(m).is_file():
                raise FileNotFoundError(f"sheet not found: {m}")
            if Path(m).name != "mapping.csv":
                paths.append(Path(m))
    return paths


def cmd_score(cfg: JudgeConfig, run: Run, out_dir: Path) -> None:
    from inference.judging.report import alpha_markdown, write_scores
    from inference.judging.sheets import read_sheets
    from inference.judging.stats import human_item_scores, inter_rater_alpha, model_scores, write_items
    from inference.tables import write_csv

    counts = run.counts
    paths = _sheet_paths(cfg.sheets)
    if not paths:
        raise UserError("--sheets: score needs the filled rater_*.csv files")
    near = [paths[0].parent / "mapping.csv", paths[0].parent.parent / "mapping.csv"]
    mapping = Path(cfg.mapping) if cfg.mapping else next((p for p in near if p.is_file()), near[-1])
    ratings, skipped = read_sheets(paths, mapping, cfg.allow_incomplete)
    items = human_item_scores(ratings)
    write_items(out_dir / "human_items.csv", items)
    table = write_scores(out_dir, "human_scores", model_scores(items, cfg.bootstrap_samples, cfg.seed))
    alpha = inter_rater_alpha(ratings)
    raters = len({r.rater for r in ratings})
    write_csv(out_dir / "inter_rater.csv", ["criterion", "krippendorff_alpha_ordinal", "raters"],
              [[c, "" if a != a else f"{a:.4f}", raters] for c, a in alpha.items()])
    write_text(out_dir / "results.md", f"# Human ratings of rationales\n\n{len(paths)} sheet(s), {len(items)} "
               f"(question, model) items, {len(ratings)} rated rows, {skipped} empty cell(s) skipped.\n\n"
               f"Scores 1-5 (mean over raters and questions):\n\n{table}\n{alpha_markdown(alpha, raters)}")
    counts.update(sheets=len(paths), ratings=len(ratings), items=len(items), empty_cells_skipped=skipped)
    print(table + "\n" + alpha_markdown(alpha, raters))


def make_backend(cfg: JudgeBackendConfig):
    from inference.judging.backends import HTTPChatBackend, LocalHFChatBackend, RetryPolicy

    if cfg.kind == "http":
        return HTTPChatBackend(cfg.base_url, cfg.model, cfg.api_key_env, cfg.temperature, cfg.max_tokens,
                               cfg.timeout_s, RetryPolicy(cfg.max_retries, cfg.backoff_s))
    return LocalHFChatBackend(cfg.model, cfg.max_tokens, cfg.device, cfg.dtype, cfg.trust_remote_code)  # local


def cmd_run(cfg: JudgeConfig, run: Run, out_dir: Path) -> None:
    from common.records import read_json_file
    from inference.judging.report import write_scores
    from inference.judging.run import (
        ReplyCache,
        Usage,
        judge_item_scores,
        position_bias,
        run_judge,
        usage_all_runs,
    )
    from inference.judging.stats import model_scores, write_items

    counts = run.counts
    items = study_items(cfg, out_dir, counts)
    backend = make_backend(cfg.judge)
    # the cache lives in the folder itself, not the staging one: paid replies are kept also when this run fails
    cache = ReplyCache(Path(cfg.cache) if cfg.cache else run.out_dir / "cache.jsonl")
    usage = Usage(cfg.judge.price_per_1k_prompt, cfg.judge.price_per_1k_completion)
    try:
        judgements = run_judge(backend, items, cache, usage, cfg.orders, cfg.show_reference, cfg.seed,
                               cfg.judge.concurrency)
    finally:
        cache.close()
    failed = [j for j in judgements if "error" in j]
    done = [j for j in judgements if "error" not in j]
    unparsed = [j for j in done if j["ratings"] is None]
    write_jsonl(out_dir / "judgements.jsonl", done)
    write_jsonl(out_dir / "unparsed.jsonl", unparsed)
    write_jsonl(out_dir / "failed.jsonl", failed)
    bias = position_bias(done)
    write_json(out_dir / "position_bias.json", bias)
    summary = {**usage.summary(), "retries": getattr(backend, "retries", 0), "judge": backend.identity()}
    last = run.out_dir / "usage.json"  # the previous run's, still in the folder until this one's replaces it
    previous = read_json_file(last) if last.is_file() else None
    write_json(out_dir / "usage.json", {**summary, "all_runs": usage_all_runs(previous, summary)})
    scores = judge_item_scores(done)
    write_items(out_dir / "judge_items.csv", scores)
    table = write_scores(out_dir, "judge_scores", model_scores(scores, cfg.bootstrap_samples, cfg.seed)) \
        if scores else "(no parsed judgement)\n"
    write_text(out_dir / "results.md", run_markdown(len(judgements), len(unparsed), len(failed), bias, summary,
                                                    table))
    counts.update(calls=len(judgements), unparsed=len(unparsed), failed=len(failed), items=len(scores))
    print(f"{len(judgements)} judgement(s): {len(unparsed)} unparsed, {len(failed)} failed; fresh calls "
          f"{summary['fresh_calls']}, cached {summary['cached_calls']}, tokens {summary['fresh_prompt_tokens']} + "
          f"{summary['fresh_completion_tokens']}, cost {summary['cost']}; out: {run.out_dir}")
    if failed:  # one failed unit: the calls, listed in failed.jsonl
        run.mark_failed("judge calls", UserError(f"{len(failed)} call(s) failed ({run.out_dir / 'failed.jsonl'}); "
                                                 "rerun to retry them, the others are cached"))


def run_markdown(calls: int, unparsed: int, failed: int, bias: dict, usage: dict, table: str) -> str:
    positions = ", ".join(f"{p}: {v:.2f}" for p, v in bias["mean_overall_by_position"].items())
    return (f"# LLM judge of rationales\n\nJudge: {usage['judge']}\n\n{calls} judgement(s) (question x order), "
            f"{unparsed} unparsed (unparsed.jsonl), {failed} failed (failed.jsonl).\n\nScores 1-5 (mean over "
            f"orders and questions):\n\n{table}\n## Position bias\n\n"
            f"Questions judged in >= 2 parsed orders: {bias['questions_compared']}; same ranking of the models in "
            f"every order: {bias['same_ranking_share']:.2%}; same best model: {bias['same_best_share']:.2%}; "
            f"mean Kendall tau between the first two orders: {bias['mean_kendall_between_orders']:.3f}.\n"
            f"Mean overall score by position shown: {positions or 'n/a'}.\n\n## Usage\n\n"
            f"Fresh calls {usage['fresh_calls']} ({usage['fresh_prompt_tokens']} prompt + "
            f"{usage['fresh_completion_tokens']} completion tokens, cost {usage['cost']}); cached calls "
            f"{usage['cached_calls']} (cost saved {usage['cost_saved_by_cache']}); retries {usage['retries']}.\n")


def _items_path(spec: str, name: str) -> Path:
    path = Path(spec)
    return path / name if path.is_dir() else path


def cmd_agreement(cfg: JudgeConfig, run: Run, out_dir: Path) -> None:
    from inference.judging.report import plot_agreement, write_agreement
    from inference.judging.stats import agreement, read_items

    counts = run.counts
    human = read_items(_items_path(cfg.human_scores, "human_items.csv"))
    judge = read_items(_items_path(cfg.judge_scores, "judge_items.csv"))
    for side, items, where in (("human", human, cfg.human_scores), ("judge", judge, cfg.judge_scores)):
        if not items:
            raise UserError(f"{where}: no {side} item scores to correlate"
                            + (" (every judge reply was unparsed: see unparsed.jsonl)" if side == "judge" else ""))
    rows, shared = agreement(human, judge, cfg.bootstrap_samples, cfg.seed)
    text = write_agreement(out_dir, rows, shared, len(human), len(judge))
    plot_agreement(out_dir / "agreement.png", human, judge, rows)
    counts.update(items_shared=shared, human_items=len(human), judge_items=len(judge))
    print(text)


def main(argv: list[str] | None = None) -> int:
    argv = gather_prediction_args(list(sys.argv[1:] if argv is None else argv))
    cfg = load_config(JudgeConfig, argv, description=__doc__, prog="python -m inference.judge",
                      positional=("command",))
    commands = {"sheets": cmd_sheets, "score": cmd_score, "run": cmd_run, "agreement": cmd_agreement}
    # every command rewrites its outputs whole (judge replies are reused through the cache, keyed by the judge
    # and the prompt), so a run needs the folder's lock and a manifest, not units
    with Run(f"inference.judge {cfg.command}", cfg.output, cfg) as run:
        with run.outputs() as stage:  # written together, or the folder keeps the previous run's files
            commands[cfg.command](cfg, run, stage)
    return run.exit_code


if __name__ == "__main__":
    sys.exit(cli(main, "python -m inference.judge"))
