"""Write MMedBench as an lm-evaluation-harness task package: one task per language plus a group, for one prompt style.

    python -m inference.lm_eval_tasks --output lm_eval_tasks --data MMedBench/Test --prompt_style mmedlm
    lm_eval run --model hf --model_args pretrained=/models/MMed-Llama-3-8B --include_path lm_eval_tasks \\
        --tasks mmedbench_mmedlm --batch_size 16

Each task is `output_type: multiple_choice` scored by log-likelihood, the same question as `inference.generate
--scoring loglik --modes answer`: the context is our prompt (common.prompts, answer mode), the choices are the
answer lines "###Answer: OPTION X IS CORRECT.", one per option, following the prompt directly
(`target_delimiter: ""`), and the target is the gold option's index. The prompts and choices are rendered here into
`data/<style>/<Language>.jsonl` (lm-eval reads them with `dataset_path: json`, absolute paths, nothing
downloaded), so no prompt text is copied into YAML. Only single-answer questions can be scored this way; the
multi-answer ones are left out and counted (printed, and in manifest.json and the group's metadata).

Tasks are named `mmedbench_<style>_<language>` (a style's "-" becomes "_") and the group `mmedbench_<style>`; its
`acc` is the mean over languages (the paper's Avg), so several styles can share one folder. Rerunning for a
style rewrites that style's files and removes its tasks for languages no longer asked for.

lm-eval (0.4.13, causal models) encodes context+continuation as one text and splits it at the context's length,
where we encode the prompt (with special tokens) and the answer line (without) apart, as fine-tuning does. The
two give the same tokens unless the tokenizer merges across the boundary (a byte-level BPE with a ":###" merge
does so for the mmedlm prompt, which ends in "### Response:"); then lm-eval scores tokens the model was not
trained on and may choose differently. `--tokenizer MODEL_DIR` counts the questions where this happens.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from common.cli import UserError, cli
from common.config import load_config, save_config
from common.languages import MMEDBENCH_LANGUAGES
from common.mmedbench import load_split
from common.prompts import DEFAULT_STYLE, StyleName, get_style
from common.questions import Question
from common.records import OnBadRecord, RejectLog, write_jsonl, write_text
from common.run import Run
from inference.lm_eval_package import count_token_mismatches, dump_yaml, group_yaml, task_doc, task_yaml


@dataclass
class LmEvalTasksConfig:
    output: str = field(default="outputs/lm_eval_tasks", metadata={
        "help": "folder to write the task YAMLs and their data into (lm_eval --include_path)"})
    data: str = field(default="samples/mmedbench/Test", metadata={"help": "MMedBench Test/ dir (<Language>.jsonl)"})
    languages: list[str] = field(default_factory=list, metadata={
        "help": "MMedBench languages (names or codes); empty = every file present"})
    prompt_style: StyleName = field(default=DEFAULT_STYLE, metadata={
        "help": "prompt format (common/prompts.py): the one the evaluated model was fine-tuned with"})
    tokenizer: str = field(default="", metadata={
        "help": "HF model/tokenizer dir: count the questions lm-eval tokenizes differently from our loglik "
                "scoring ('' = no check)"})
    on_bad_record: OnBadRecord = field(default="error", metadata={"help": "skip: into rejects.jsonl"})


def task_names(style: str, languages: Sequence[str]) -> tuple[str, list[str]]:
    """(group name, task names) of a style's package: `mmedbench_mmedlm`, `mmedbench_mmedlm_english`, ..."""
    group = "mmedbench_" + style.replace("-", "_")
    return group, [f"{group}_{language.lower()}" for language in languages]


def _remove_stale(out: Path, group: str, keep: list[str]) -> None:
    """Remove this group's tasks for languages not asked for this time (by exact name: the tasks of
    `mmedbench_mmedlm_infer` also start with `mmedbench_mmedlm_`)."""
    for task in task_names(group.removeprefix("mmedbench_"), MMEDBENCH_LANGUAGES)[1]:
        if task not in keep:
            (out / f"{task}.yaml").unlink(missing_ok=True)


def write_package(cfg: LmEvalTasksConfig, records: list[Question]) -> dict:
    """Write the data files, task YAMLs and group YAML of one style; returns the counts."""
    style = get_style(cfg.prompt_style)
    out = Path(cfg.output)
    languages = list(dict.fromkeys(r.language for r in records))
    group, tasks = task_names(style.name, languages)
    counts: dict = {"questions": {}, "multi_answer_left_out": {}}
    per_language: list[list[dict]] = []
    for language in languages:
        recs = [r for r in records if r.language == language]
        docs = [task_doc(r, style) for r in recs if not r.is_multi_answer]
        if not docs:
            raise UserError(f"{cfg.data}: {language} has no single-answer question to score by log-likelihood")
        counts["questions"][language] = len(docs)
        counts["multi_answer_left_out"][language] = len(recs) - len(docs)
        per_language.append(docs)
    # nothing is written before every language has passed
    for language, task, docs in zip(languages, tasks, per_language):
        data_file = out / "data" / style.name / f"{language}.jsonl"
        write_jsonl(data_file, docs)
        write_text(out / f"{task}.yaml", dump_yaml(task_yaml(task, language, data_file, style.name)))
    write_text(out / f"{group}.yaml", dump_yaml(group_yaml(group, tasks, style.name, counts["multi_answer_left_out"])))
    _remove_stale(out, group, tasks)
    if cfg.tokenizer:
        counts["lm_eval_token_mismatch_questions"] = count_token_mismatches(
            cfg.tokenizer, [doc for docs in per_language for doc in docs])
    counts["group"] = group
    return counts


def main(argv: list[str] | None = None) -> int:
    cfg = load_config(LmEvalTasksConfig, argv, description=__doc__, prog="python -m inference.lm_eval_tasks")
    if cfg.tokenizer and not Path(cfg.tokenizer).is_dir():
        raise UserError(f"tokenizer: no such model/tokenizer dir: {cfg.tokenizer}")
    # one folder may hold several styles: each writes its own config and manifest, under the folder's lock
    group = task_names(cfg.prompt_style, [])[0]
    with Run("inference.lm_eval_tasks", cfg.output, manifest_name=f"manifest_{group}.json") as run:
        rejects = RejectLog(Path(cfg.output) / "rejects.jsonl")
        records = load_split(cfg.data, cfg.languages or None, cfg.on_bad_record, rejects)
        rejects.close()
        counts = write_package(cfg, records)
        counts["rejected_records"] = rejects.count
        save_config(cfg, cfg.output, name=f"config_{group}.yaml")
        dict.update(run.counts, counts)  # nested counts (per language): set, not added
    left = sum(counts["multi_answer_left_out"].values())
    print(f"wrote {counts['group']} ({sum(counts['questions'].values())} single-answer questions; {left} "
          f"multi-answer left out; {rejects.count} rejected) to {cfg.output}")
    if counts.get("lm_eval_token_mismatch_questions"):
        print(f"warning: lm-eval tokenizes {counts['lm_eval_token_mismatch_questions']} questions differently "
              f"from our loglik scoring with {cfg.tokenizer} (a merge across the prompt/answer boundary)",
              file=sys.stderr)
    print(f"run: lm_eval run --model hf --model_args pretrained=MODEL_DIR --include_path {cfg.output} "
          f"--tasks {counts['group']}")
    return run.exit_code


if __name__ == "__main__":
    sys.exit(cli(main, "python -m inference.lm_eval_tasks"))
