"""Training examples for fine-tuning on MMedBench: prompts, targets, label masking, truncation, mixing.

Each MMedBench question gives two examples (PAPER.md, multi-task): a "rationale" one whose target is the rationale
followed by the answer line, and an "answer" one whose target is the answer line only. Prompts and targets come
from `common.prompts`, the same templates `inference.generate` uses, so the model is taught exactly what it is
later asked. A tokenized example is

    input_ids = tokenize(prompt)            + tokenize(target) + [eos]
    labels    = [-100] * len(prompt tokens) + tokenize(target) + [eos]

so only the response carries loss. The prompt is tokenized on its own (with BOS), as at generation time. An
example longer than `max_seq_len` has its question text shortened (the middle is cut, keeping its start and its
final sentence, which usually holds the actual question); options and the target are never cut.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from common.config import bad
from common.mmedbench import line_of, load_split
from common.prompts import DEFAULT_STYLE, MODES, Mode, PromptStyle, StyleName, get_style
from common.questions import Question
from common.records import BadRecordError, OnBadRecord, RejectLog, handle_bad_record, iter_jsonl

IGNORE_INDEX = -100
ELLIPSIS = " … "


@dataclass
class FinetuneDataConfig:
    train_dir: str = field(default="samples/mmedbench/Train",
                           metadata={"help": "MMedBench Train/ folder of <Language>.jsonl files"})
    languages: list[str] = field(default_factory=list,
                                 metadata={"help": "languages to use (names or ISO codes); empty = all present"})
    modes: list[Mode] = field(default_factory=lambda: ["rationale", "answer"],
                             metadata={"help": "example kinds per question: rationale (rationale then answer), "
                                               "answer (answer only)"})
    prompt_style: StyleName = field(default=DEFAULT_STYLE, metadata={
        "help": "prompt format taught (common/prompts.py): mmedlm is the authors' format, the one the released "
                "MMed-Llama 3 weights use"})
    max_seq_len: int = field(default=2048, metadata={"help": "longest example in tokens; longer questions are cut"})
    instructions: str = field(default="", metadata={"help": "optional JSONL of extra instruction data "
                                                            "(instruction, input, output) to mix in"})
    instruction_ratio: float = field(default=0.0, metadata={
        "help": "instruction examples per MMedBench example in the mix (0.5 = one for every two); "
                "drawn without repetition while the file has enough, then repeated; 0 = none"})
    on_bad_record: OnBadRecord = field(default="error", metadata={
        "help": "error (stop at file:line) or skip (write rejects.jsonl and count)"})
    seed: int = field(default=0, metadata={"help": "seed for drawing instruction examples"})

    def validate(self) -> None:
        if not self.modes:
            bad("modes", "give at least one of answer, rationale")
        if self.max_seq_len < 1:
            bad("max_seq_len", f"must be at least 1, got {self.max_seq_len}")
        if self.instruction_ratio < 0:
            bad("instruction_ratio", f"must be >= 0, got {self.instruction_ratio}")
        if self.instruction_ratio > 0 and not self.instructions:
            bad("instruction_ratio", "> 0 needs data.instructions (a JSONL file)")


@dataclass(frozen=True)
class TextExample:
    """One (prompt, target) pair before tokenization; `where` is the file:line it came from."""

    id: str
    kind: str  # "rationale" | "answer" | "instruction"
    prompt: str
    target: str
    where: str
    question: str = ""  # the truncatable part (MMedBench only)
    options: dict[str, str] | None = None
    language: str = ""
    style: str = DEFAULT_STYLE


# ---------------------------------------------------------------------------------------------- text examples


def record_where(rec: Question, train_dir: str | Path) -> str:
    """file:line of a record (as read; else from its id's line number)."""
    if rec.where:
        return rec.where
    return f"{Path(train_dir) / (rec.language + '.jsonl')}:{line_of(rec.id)}"


def mmedbench_examples(records: Iterable[Question], modes: Sequence[str], train_dir: str | Path,
                       on_bad_record: str = "error", rejects: RejectLog | None = None,
                       style: PromptStyle | None = None) -> list[TextExample]:
    """Both example kinds for every question (a rationale example needs a rationale: else it is a bad record)."""
    style = style or get_style(DEFAULT_STYLE)
    bad_modes = [m for m in modes if m not in MODES]
    if bad_modes or not modes:
        raise ValueError(f"data.modes must be a non-empty subset of {MODES}, got {list(modes)}")
    examples = []
    for rec in records:
        where = record_where(rec, train_dir)
        for mode in modes:
            if mode == "rationale" and not rec.gold_rationale.strip():
                handle_bad_record(where, "no rationale for a rationale example (drop 'rationale' from data.modes "
                                         "or use on_bad_record: skip)", rec.id, on_bad_record, rejects)
                continue
            examples.append(TextExample(
                id=f"{rec.id}-{mode}", kind=mode, where=where, question=rec.question, options=rec.options,
                language=rec.language, style=style.name,
                prompt=style.build_prompt(rec.question, rec.options, rec.language, mode),
                target=style.format_response(mode, rec.gold_answer, rec.gold_rationale),
            ))
    return examples


def _instruction_problem(raw: dict) -> str | None:
    for key in ("instruction", "output"):
        if not isinstance(raw.get(key), str) or not raw[key].strip():
            return f"{key!r} must be a non-empty string"
    if not isinstance(raw.get("input", ""), str):
        return "'input' must be a string"
    return None


def load_instructions(path: str | Path, on_bad_record: str = "error", rejects: RejectLog | None = None,
                      style: PromptStyle | None = None) -> list[TextExample]:
    """Instruction JSONL (Alpaca style: instruction, input, output) as examples."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"instruction file not found: {path}")
    examples = []
    for where, raw in iter_jsonl(path, on_bad_record, rejects):
        problem = _instruction_problem(raw)
        if problem:
            handle_bad_record(where, problem, raw, on_bad_record, rejects)
            continue
        style = style or get_style(DEFAULT_STYLE)
        prompt = style.instruction_prompt(raw["instruction"], raw.get("input", ""))
        examples.append(TextExample(id=f"instruction-{where.rsplit(':', 1)[1]}", kind="instruction", where=where,
                                    prompt=prompt, target=raw["output"].strip(), style=style.name))
    return examples


def mix_instructions(examples: list[TextExample], instructions: list[TextExample], ratio: float, seed: int
                     ) -> list[TextExample]:
    """Append round(ratio * len(examples)) instruction examples, drawn without repetition until the pool runs out."""
    if ratio < 0:
        raise ValueError(f"data.instruction_ratio must be >= 0, got {ratio}")
    wanted = round(ratio * len(examples))
    if wanted == 0 or not instructions:
        return list(examples)
    rng = random.Random(seed)
    drawn: list[TextExample] = []
    while len(drawn) < wanted:
        pool = list(instructions)
        rng.shuffle(pool)
        drawn.extend(pool[: wanted - len(drawn)])
    return list(examples) + drawn


# ---------------------------------------------------------------------------------------------- tokenization


@dataclass
class TokenizedExample:
    input_ids: list[int]
    labels: list[int]
    truncated: bool


def _encode(tokenizer: Any, text: str, special: bool) -> list[int]:
    return tokenizer(text, add_special_tokens=special)["input_ids"]


def _cut_middle(tokenizer: Any, question: str, keep_tokens: int) -> str:
    """Keep about `keep_tokens` tokens of the question: its start and its end, joined by an ellipsis."""
    ids = _encode(tokenizer, question, special=False)
    if keep_tokens <= 0:
        return ELLIPSIS.strip()
    tail = min(keep_tokens // 2, 64)
    head = keep_tokens - tail
    return (tokenizer.decode(ids[:head]).rstrip() + ELLIPSIS + (tokenizer.decode(ids[-tail:]).lstrip() if tail else "")).strip()


def tokenize_example(tokenizer: Any, ex: TextExample, max_seq_len: int) -> TokenizedExample | None:
    """Prompt + target + EOS with prompt labels masked; shortens the question to fit, never the target.

    Returns None when even an empty question does not make the example fit (the caller reports it).
    """
    target_ids = _encode(tokenizer, ex.target, special=False) + [tokenizer.eos_token_id]
    prompt_ids = _encode(tokenizer, ex.prompt, special=True)
    truncated = False
    if len(prompt_ids) + len(target_ids) > max_seq_len:
        if ex.options is None:  # instruction data: nothing safe to cut
            return None
        truncated = True
        question_len = len(_encode(tokenizer, ex.question, special=False))
        keep = question_len - (len(prompt_ids) + len(target_ids) - max_seq_len)
        # decoding and re-encoding a cut can merge differently: shrink until it really fits
        while True:
            question = _cut_middle(tokenizer, ex.question, keep)
            prompt = get_style(ex.style).build_prompt(question, ex.options, ex.language, ex.kind)
            prompt_ids = _encode(tokenizer, prompt, special=True)
            if len(prompt_ids) + len(target_ids) <= max_seq_len:
                break
            if keep <= 0:
                return None
            keep -= max(1, len(prompt_ids) + len(target_ids) - max_seq_len)
    return TokenizedExample(input_ids=prompt_ids + target_ids,
                            labels=[IGNORE_INDEX] * len(prompt_ids) + target_ids, truncated=truncated)


class SupervisedDataset(torch.utils.data.Dataset):
    """Map-style dataset of tokenized examples (dicts with input_ids and labels as lists of ints)."""

    def __init__(self, items: list[TokenizedExample], kinds: list[str]):
        self.items = items
        self.kinds = kinds

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, i: int) -> dict[str, list[int]]:
        return {"input_ids": self.items[i].input_ids, "labels": self.items[i].labels}


def tokenize_all(tokenizer: Any, examples: list[TextExample], max_seq_len: int, on_bad_record: str,
                 rejects: RejectLog | None, counts: Counter) -> SupervisedDataset:
    items, kinds = [], []
    for ex in examples:
        tok = tokenize_example(tokenizer, ex, max_seq_len)
        if tok is None:
            handle_bad_record(ex.where, f"{ex.kind} example does not fit data.max_seq_len={max_seq_len} even with "
                                        "the question cut (the answer is never cut)", ex.id, on_bad_record, rejects)
            counts["too_long_rejected"] += 1
            continue
        counts[f"examples_{ex.kind}"] += 1
        counts["truncated"] += tok.truncated
        counts["target_tokens"] += sum(1 for x in tok.labels if x != IGNORE_INDEX)
        counts["tokens"] += len(tok.input_ids)
        items.append(tok)
        kinds.append(ex.kind)
    return SupervisedDataset(items, kinds)


class PadCollator:
    """Right-pad a batch to its longest example: pad id in input_ids, -100 in labels, 0 in attention_mask."""

    def __init__(self, pad_token_id: int):
        self.pad_token_id = pad_token_id

    def __call__(self, batch: list[dict]) -> dict[str, torch.Tensor]:
        longest = max(len(b["input_ids"]) for b in batch)
        input_ids = torch.full((len(batch), longest), self.pad_token_id, dtype=torch.long)
        labels = torch.full((len(batch), longest), IGNORE_INDEX, dtype=torch.long)
        attention_mask = torch.zeros((len(batch), longest), dtype=torch.long)
        for row, b in enumerate(batch):
            n = len(b["input_ids"])
            input_ids[row, :n] = torch.tensor(b["input_ids"], dtype=torch.long)
            labels[row, :n] = torch.tensor(b["labels"], dtype=torch.long)
            attention_mask[row, :n] = 1
        return {"input_ids": input_ids, "labels": labels, "attention_mask": attention_mask}


# ---------------------------------------------------------------------------------------------- everything


def build_dataset(cfg: FinetuneDataConfig, tokenizer: Any, rejects: RejectLog | None = None
                  ) -> tuple[SupervisedDataset, Counter]:
    """MMedBench Train (+ mixed instructions) -> tokenized dataset and counts (questions, examples, truncated...)."""
    if cfg.on_bad_record == "skip" and rejects is None:
        raise ValueError("on_bad_record: skip needs a reject log")
    if tokenizer.eos_token_id is None:
        raise ValueError("the tokenizer has no eos token: the model could not learn where an answer ends")
    counts: Counter = Counter()
    records = load_split(cfg.train_dir, cfg.languages or None, cfg.on_bad_record, rejects)
    counts["questions"] = len(records)
    counts["multi_answer_questions"] = sum(r.is_multi_answer for r in records)
    style = get_style(cfg.prompt_style)
    examples = mmedbench_examples(records, cfg.modes, cfg.train_dir, cfg.on_bad_record, rejects, style)
    if cfg.instructions:
        pool = load_instructions(cfg.instructions, cfg.on_bad_record, rejects, style)
        counts["instruction_pool"] = len(pool)
        examples = mix_instructions(examples, pool, cfg.instruction_ratio, cfg.seed)
    elif cfg.instruction_ratio > 0:
        raise ValueError("data.instruction_ratio > 0 needs data.instructions (a JSONL file)")
    dataset = tokenize_all(tokenizer, examples, cfg.max_seq_len, cfg.on_bad_record, rejects, counts)
    if len(dataset) == 0:
        raise BadRecordError(cfg.train_dir, "no training examples left")
    counts["rejected"] = rejects.count if rejects is not None else 0
    return dataset, counts
