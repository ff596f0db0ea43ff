"""Write MMedBench as an lm-evaluation-harness task package: one task per language plus a group, for one prompt style.

    python -m inference.lm_eval_tasks --out lm_eval_tasks --data MMedBench/Test --prompt_style mmedlm
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

import yaml

from common.cli import UserError, cli
from common.config import load_config, save_config
from common.languages import MMEDBENCH_LANGUAGES
from common.mmedbench import MMedBenchRecord, load_split
from common.prompts import DEFAULT_STYLE, STYLES, PromptStyle, get_style
from common.records import RejectLog, write_jsonl, write_text
from common.run import Run

TASK_VERSION = 1.0


@dataclass
class LmEvalTasksConfig:
    out: str = field(default="outputs/lm_eval_tasks", metadata={
        "help": "folder to write the task YAMLs and their data into (lm_eval --include_path)"})
    data: str = field(default="samples/mmedbench/Test", metadata={"help": "MMedBench Test/ dir (<Language>.jsonl)"})
    languages: list[str] = field(default_factory=list, metadata={
        "help": "MMedBench languages (names or codes); empty = every file present"})
    prompt_style: str = field(default=DEFAULT_STYLE, metadata={
        "help": f"prompt format ({' | '.join(STYLES)}): the one the evaluated model was fine-tuned with"})
    tokenizer: str = field(default="", metadata={
        "help": "HF model/tokenizer dir: count the questions lm-eval tokenizes differently from our loglik "
                "scoring ('' = no check)"})
    on_bad_record: str = field(default="error", metadata={"help": "error | skip (into rejects.jsonl)"})


def task_names(style: str, languages: Sequence[str]) -> tuple[str, list[str]]:
    """(group name, task names) of a style's package: `mmedbench_mmedlm`, `mmedbench_mmedlm_english`, ..."""
    group = "mmedbench_" + style.replace("-", "_")
    return group, [f"{group}_{language.lower()}" for language in languages]


def task_doc(rec: MMedBenchRecord, style: PromptStyle) -> dict:
    """One line of a task's data file: the rendered prompt, the answer lines and the gold index."""
    letters = list(rec.options)
    return {"id": rec.id, "language": rec.language, "prompt": style.build_prompt(rec.question, rec.options,
                                                                                rec.language, "answer"),
            "letters": letters, "choices": [style.answer_line([letter]) for letter in letters],
            "gold": letters.index(rec.answer[0])}


def task_yaml(task: str, language: str, data_file: Path, style: str) -> dict:
    return {
        "task": task,
        "task_alias": language,
        "dataset_path": "json",
        "dataset_kwargs": {"data_files": {"test": str(data_file.resolve())}},
        "test_split": "test",
        "output_type": "multiple_choice",
        "doc_to_text": "prompt",
        "doc_to_choice": "choices",
        "doc_to_target": "gold",
        # the answer line follows the prompt directly, as in fine-tuning and in our loglik scoring
        "target_delimiter": "",
        "metric_list": [{"metric": "acc", "aggregation": "mean", "higher_is_better": True}],
        "metadata": {"version": TASK_VERSION, "prompt_style": style},
    }


def group_yaml(group: str, tasks: list[str], style: str, left_out: dict[str, int]) -> dict:
    return {
        "group": group,
        "task": tasks,
        # the paper's Avg: the mean of the languages' accuracies, not weighted by their sizes
        "aggregate_metric_list": [{"metric": "acc", "aggregation": "mean", "weight_by_size": False}],
        "metadata": {"version": TASK_VERSION, "prompt_style": style, "multi_answer_left_out": left_out},
    }


def lm_eval_split(tokenizer, context: str, continuation: str) -> list[int]:
    """The token ids lm-eval's HF model scores for (context, continuation): lm_eval.api.model.TemplateLM.
    _encode_pair for causal models moves the context's trailing whitespace into the continuation and encodes the
    whole text once. Returns the whole sequence (context part + continuation part)."""
    n_spaces = len(context) - len(context.rstrip())
    if n_spaces:
        context, continuation = context[:-n_spaces], context[-n_spaces:] + continuation
    context_ids = tokenizer.encode(context)
    return context_ids + tokenizer.encode(context + continuation)[len(context_ids):]


def count_token_mismatches(tokenizer_dir: str, docs: list[dict]) -> int:
    """Questions where, for some option, lm-eval's token sequence differs from our loglik scoring's."""
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(tokenizer_dir, trust_remote_code=False)
    bad = 0
    for doc in docs:
        ours_ctx = tok(doc["prompt"], add_special_tokens=True)["input_ids"]
        bad += any(lm_eval_split(tok, doc["prompt"], line)
                   != ours_ctx + tok(line, add_special_tokens=False)["input_ids"] for line in doc["choices"])
    return bad


def _remove_stale(out: Path, group: str, keep: list[str]) -> None:
    """Remove this group's tasks for languages not asked for this time (by exact name: the tasks of
    `mmedbench_mmedlm_infer` also start with `mmedbench_mmedlm_`)."""
    for task in task_names(group.removeprefix("mmedbench_"), MMEDBENCH_LANGUAGES)[1]:
        if task not in keep:
            (out / f"{task}.yaml").unlink(missing_ok=True)


def write_package(cfg: LmEvalTasksConfig, records: list[MMedBenchRecord]) -> dict:
    """Write the data files, task YAMLs and group YAML of one style; returns the counts."""
    style = get_style(cfg.prompt_style)
    out = Path(cfg.out)
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
        write_text(out / f"{task}.yaml", _dump(task_yaml(task, language, data_file, style.name)))
    write_text(out / f"{group}.yaml", _dump(group_yaml(group, tasks, style.name, counts["multi_answer_left_out"])))
    _remove_stale(out, group, tasks)
    if cfg.tokenizer:
        counts["lm_eval_token_mismatch_questions"] = count_token_mismatches(
            cfg.tokenizer, [doc for docs in per_language for doc in docs])
    counts["group"] = group
    return counts


def _dump(obj: dict) -> str:
    return yaml.safe_dump(obj, sort_keys=False, allow_unicode=True, width=1000)


def main(argv: list[str] | None = None) -> int:
    cfg = load_config(LmEvalTasksConfig, argv, description=__doc__, prog="python -m inference.lm_eval_tasks")
    get_style(cfg.prompt_style)
    if cfg.on_bad_record not in ("error", "skip"):
        raise UserError(f"on_bad_record must be error or skip, got {cfg.on_bad_record!r}")
    if cfg.tokenizer and not Path(cfg.tokenizer).is_dir():
        raise UserError(f"tokenizer: no such model/tokenizer dir: {cfg.tokenizer}")
    # one folder may hold several styles: each writes its own config and manifest, under the folder's lock
    group = task_names(cfg.prompt_style, [])[0]
    with Run("inference.lm_eval_tasks", cfg.out, manifest_name=f"manifest_{group}.json") as run:
        rejects = RejectLog(Path(cfg.out) / "rejects.jsonl")
        records = load_split(cfg.data, cfg.languages or None, cfg.on_bad_record, rejects)
        rejects.close()
        counts = write_package(cfg, records)
        counts["rejected_records"] = rejects.count
        save_config(cfg, cfg.out, name=f"config_{group}.yaml")
        dict.update(run.counts, counts)  # nested counts (per language): set, not added
    left = sum(counts["multi_answer_left_out"].values())
    print(f"wrote {counts['group']} ({sum(counts['questions'].values())} single-answer questions; {left} "
          f"multi-answer left out; {rejects.count} rejected) to {cfg.out}")
    if counts.get("lm_eval_token_mismatch_questions"):
        print(f"warning: lm-eval tokenizes {counts['lm_eval_token_mismatch_questions']} questions differently "
              f"from our loglik scoring with {cfg.tokenizer} (a merge across the prompt/answer boundary)",
              file=sys.stderr)
    print(f"run: lm_eval run --model hf --model_args pretrained=MODEL_DIR --include_path {cfg.out} "
          f"--tasks {counts['group']}")
    return run.exit_code


if __name__ == "__main__":
    sys.exit(cli(main, "python -m inference.lm_eval_tasks"))
