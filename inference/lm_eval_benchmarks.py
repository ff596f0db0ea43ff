"""Write the multilingual benchmarks (MMedBench's followers) as lm-evaluation-harness task packages.

    python -m inference.lm_eval_benchmarks --config configs/inference/lm_eval_benchmarks.yaml --output lm_eval_tasks
    lm_eval run --model hf --model_args pretrained=/models/MMed-Llama-3-8B --include_path lm_eval_tasks \\
        --tasks xmedbench_mmedlm,kormedmcqa_mmedlm --batch_size 16

The same package shape as `inference.lm_eval_tasks` (MMedBench; its docstring explains the token check): per
benchmark and prompt style one `multiple_choice` task per language, `<benchmark>_<style>_<code>`, and a group
`<benchmark>_<style>` whose `acc` is the unweighted mean over languages. The context is our answer-mode prompt
(common.prompts), the choices are the answer lines "###Answer: OPTION X IS CORRECT." (up to ten, A-J), the target
the gold index: the question `inference.suite` asks with `scoring: loglik`. Prompts are rendered here into
`data/<style>/<benchmark>/<code>.jsonl` (absolute paths; lm-eval downloads nothing). `benchmarks` takes the same
entries as the suite's YAML (name, path, languages, subsets); MMedBench itself is `inference.lm_eval_tasks`.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path

from common.cli import UserError, cli
from common.config import bad, load_config, save_config
from common.prompts import DEFAULT_STYLE, PromptStyle, StyleName, get_style
from common.records import OnBadRecord, RejectLog, write_jsonl, write_text
from common.run import Run
from inference import multilingual_benchmarks as multi
from inference.lm_eval_package import count_token_mismatches, dump_yaml, group_yaml, task_doc, task_yaml
from inference.suite_config import SuiteBenchmark


@dataclass
class LmEvalBenchmarksConfig:
    output: str = field(default="outputs/lm_eval_tasks", metadata={"help": "folder of the task YAMLs and their data"})
    benchmarks: list[SuiteBenchmark] = field(default_factory=list, metadata={
        "help": "name, path, languages, subsets (as in the suite YAML); scoring and modes are not used"})
    prompt_style: StyleName = field(default=DEFAULT_STYLE, metadata={"help": "common/prompts.py"})
    tokenizer: str = field(default="", metadata={
        "help": "model dir: count the questions lm-eval tokenizes differently from our loglik ('' = no check)"})
    on_bad_record: OnBadRecord = field(default="error", metadata={"help": "skip: into rejects.jsonl"})

    def validate(self) -> None:
        if not self.benchmarks:
            bad("benchmarks", "name at least one benchmark")
        for i, b in enumerate(self.benchmarks):
            if b.name not in multi.SPECS:
                bad(f"benchmarks[{i}].name", f"{b.name} is not packaged here (MMedBench: inference.lm_eval_tasks)")


def task_names(benchmark: str, style: str, codes: list[str]) -> tuple[str, list[str]]:
    group = f"{benchmark}_{style.replace('-', '_')}"
    return group, [f"{group}_{code}" for code in codes]


def benchmark_docs(b: SuiteBenchmark, style: PromptStyle, on_bad_record: str, rejects: RejectLog
                   ) -> dict[str, list[dict]]:
    """code -> task docs of one benchmark; a missing file or a bad record is one line naming it."""
    codes = b.languages or multi.available_languages(b.name, b.path)
    if not codes:
        raise FileNotFoundError(f"{b.name}: no language files under {b.path} (docs/benchmarks.md)")
    docs = {}
    for code in codes:
        questions = multi.load_language(b.name, b.path, code, on_bad_record, rejects, b.subsets or None)
        if not questions:
            raise UserError(f"{b.name}: no question for {code} under {b.path} (subsets {b.subsets or 'default'})")
        docs[code] = [task_doc(q, style) for q in questions]
    return docs


def write_benchmark(out: Path, name: str, style: PromptStyle, docs: dict[str, list[dict]]) -> dict:
    group, tasks = task_names(name, style.name, list(docs))
    for (code, items), task in zip(docs.items(), tasks):
        data_file = out / "data" / style.name / name / f"{code}.jsonl"
        write_jsonl(data_file, items)
        write_text(out / f"{task}.yaml", dump_yaml(task_yaml(task, items[0]["language"], data_file, style.name)))
    write_text(out / f"{group}.yaml", dump_yaml(group_yaml(group, tasks, style.name, {})))
    return {"group": group, "questions": {code: len(items) for code, items in docs.items()}}


def main(argv: list[str] | None = None) -> int:
    cfg = load_config(LmEvalBenchmarksConfig, argv, description=__doc__, prog="python -m inference.lm_eval_benchmarks")
    style = get_style(cfg.prompt_style)
    if cfg.tokenizer and not Path(cfg.tokenizer).is_dir():
        raise UserError(f"tokenizer: no such model/tokenizer dir: {cfg.tokenizer}")
    out = Path(cfg.output)
    with Run("inference.lm_eval_benchmarks", out, manifest_name=f"manifest_benchmarks_{style.name}.json") as run:
        rejects = RejectLog(out / "rejects.jsonl")
        # every file is read and checked before anything is written
        all_docs = {b.name: benchmark_docs(b, style, cfg.on_bad_record, rejects) for b in cfg.benchmarks}
        rejects.close()
        counts = {name: write_benchmark(out, name, style, docs) for name, docs in all_docs.items()}
        if cfg.tokenizer:
            every = [d for docs in all_docs.values() for items in docs.values() for d in items]
            counts["lm_eval_token_mismatch_questions"] = count_token_mismatches(cfg.tokenizer, every)
        counts["rejected_records"] = rejects.count
        save_config(cfg, out, name=f"config_benchmarks_{style.name}.yaml")
        dict.update(run.counts, counts)
    groups = [c["group"] for name, c in counts.items() if isinstance(c, dict)]
    print(f"wrote {', '.join(groups)} ({rejects.count} records rejected) to {out}")
    if counts.get("lm_eval_token_mismatch_questions"):
        print(f"warning: lm-eval tokenizes {counts['lm_eval_token_mismatch_questions']} questions differently from "
              "our loglik scoring (a merge across the prompt/answer boundary; docs/inference.md)", file=sys.stderr)
    print(f"run: lm_eval run --model hf --model_args pretrained=MODEL_DIR --include_path {out} --tasks "
          f"{','.join(groups)}")
    return run.exit_code


if __name__ == "__main__":
    sys.exit(cli(main, "python -m inference.lm_eval_benchmarks"))
