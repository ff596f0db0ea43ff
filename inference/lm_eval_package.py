"""The pieces of an lm-evaluation-harness task package, shared by `inference.lm_eval_tasks` (MMedBench) and
`inference.lm_eval_benchmarks` (the multilingual benchmarks): a question as one line of a task's data file, the
task and group YAMLs, and the check that lm-eval tokenizes our prompts as our loglik scoring does (the
`inference.lm_eval_tasks` docstring explains when it does not).
"""

from __future__ import annotations

from pathlib import Path

import yaml

from common.prompts import PromptStyle
from common.questions import Question

TASK_VERSION = 1.0


def task_doc(q: Question, style: PromptStyle) -> dict:
    """One line of a task's data file: the rendered answer-mode prompt, the answer lines and the gold index."""
    letters = list(q.options)
    doc = {"id": q.id, "language": q.language}
    if q.benchmark:
        doc["benchmark"] = q.benchmark
    doc.update(prompt=style.build_prompt(q.question, q.options, q.language, "answer"), letters=letters,
               choices=[style.answer_line([letter]) for letter in letters], gold=letters.index(q.gold_answer[0]))
    return doc


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


def dump_yaml(obj: dict) -> str:
    return yaml.safe_dump(obj, sort_keys=False, allow_unicode=True, width=1000)
