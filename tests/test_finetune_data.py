"""finetune.data: both example kinds per question, exact label masking, question-only truncation, mixing, bad
records. Uses a small hand-written MMedBench Train folder and the tiny model's tokenizer."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from common.prompts import ANSWER_HEADER, build_prompt, format_response
from common.records import BadRecordError, RejectLog
from finetune.data import (
    IGNORE_INDEX,
    FinetuneDataConfig,
    PadCollator,
    TextExample,
    build_dataset,
    tokenize_example,
)

QUESTIONS = [
    ("English", {"question": "Which vitamin deficiency causes scurvy?",
                 "options": {"A": "Vitamin A", "B": "Vitamin C", "C": "Vitamin D", "D": "Vitamin K"},
                 "answer_idx": "B", "rationale": "Scurvy comes from a lack of vitamin C, needed for collagen."}),
    ("English", {"question": "Which organ produces insulin?",
                 "options": {"A": "Liver", "B": "Kidney", "C": "Spleen", "D": "Pancreas"},
                 "answer_idx": "D", "rationale": "The beta cells of the pancreas make insulin."}),
    ("English", {"question": "Which drugs are beta blockers?",
                 "options": {"A": "Metoprolol", "B": "Amlodipine", "C": "Propranolol", "D": "Lisinopril"},
                 "answer_idx": "A,C", "rationale": "Metoprolol and propranolol block beta receptors."}),
    ("Chinese", {"question": "哪种细胞产生抗体？",
                 "options": {"A": "浆细胞", "B": "红细胞", "C": "血小板", "D": "中性粒细胞"},
                 "answer_idx": "A", "rationale": "抗体由浆细胞分泌。"}),
    ("Chinese", {"question": "正常成人的心率范围是多少？",
                 "options": {"A": "20-40", "B": "40-50", "C": "60-100", "D": "120-160"},
                 "answer_idx": "C", "rationale": "成人静息心率正常为每分钟60到100次。"}),
]


def write_train_dir(root: Path, questions=QUESTIONS) -> Path:
    train = root / "Train"
    train.mkdir(parents=True, exist_ok=True)
    by_lang: dict[str, list[str]] = {}
    for lang, rec in questions:
        by_lang.setdefault(lang, []).append(json.dumps(rec, ensure_ascii=False))
    for lang, lines in by_lang.items():
        (train / f"{lang}.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return train


def build_own_tiny_model(root: Path) -> Path:
    """A tiny model whose BPE is trained on this test's questions (used when samples/ is not there)."""
    from common.tiny_model import TinyModelConfig, build_tiny_model

    texts = root / "texts"
    texts.mkdir(parents=True, exist_ok=True)
    lines = [json.dumps(q, ensure_ascii=False) for _, q in QUESTIONS]
    prompts = [build_prompt("q", {"A": "a", "B": "b"}, lang, mode) for lang in ("English", "Chinese")
               for mode in ("answer", "rationale")]
    (texts / "corpus.txt").write_text("\n".join(lines + prompts) * 3, encoding="utf-8")
    return build_tiny_model(TinyModelConfig(output=str(root / "tiny"), samples=str(texts), vocab_size=1024))


@pytest.fixture(scope="session")
def ft_model_dir(request, tmp_path_factory) -> Path:
    samples = Path(__file__).resolve().parent.parent / "samples" / "mmedbench"
    if samples.is_dir() and any(samples.rglob("*.jsonl")):
        return request.getfixturevalue("tiny_model_dir")
    return build_own_tiny_model(tmp_path_factory.mktemp("ft-tiny"))


@pytest.fixture(scope="session")
def tokenizer(ft_model_dir):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(ft_model_dir)


def test_each_question_gives_a_rationale_and_an_answer_example(tmp_path, tokenizer):
    train = write_train_dir(tmp_path)
    dataset, counts = build_dataset(FinetuneDataConfig(train_dir=str(train)), tokenizer)
    assert counts["questions"] == 5
    assert counts["examples_rationale"] == 5 and counts["examples_answer"] == 5
    assert len(dataset) == 10
    targets = [tokenizer.decode([t for t in dataset[i]["labels"] if t != IGNORE_INDEX], skip_special_tokens=True)
               for i in range(len(dataset))]
    assert targets.count("###Answer: OPTION A,C IS CORRECT.") == 1  # multi-answer, answer-only kind
    assert ("###Rationale: Metoprolol and propranolol block beta receptors.\n###Answer: OPTION A,C IS CORRECT."
            in targets)
    assert sum(t.startswith(ANSWER_HEADER) for t in targets) == 5


def test_only_response_tokens_carry_loss(tmp_path, tokenizer):
    train = write_train_dir(tmp_path)
    dataset, _ = build_dataset(FinetuneDataConfig(train_dir=str(train), modes=["answer"]), tokenizer)
    _, first = QUESTIONS[0]
    prompt = build_prompt(first["question"], first["options"], "English", "answer")
    prompt_ids = tokenizer(prompt)["input_ids"]
    target_ids = tokenizer(format_response("answer", ["B"]), add_special_tokens=False)["input_ids"]
    item = dataset[0]
    assert item["input_ids"] == prompt_ids + target_ids + [tokenizer.eos_token_id]
    assert item["labels"] == [IGNORE_INDEX] * len(prompt_ids) + target_ids + [tokenizer.eos_token_id]

    batch = PadCollator(tokenizer.pad_token_id)([dataset[0], dataset[2]])
    longest = batch["input_ids"].shape[1]
    n0 = len(item["input_ids"])
    assert longest >= n0
    assert (batch["labels"][0, n0:] == IGNORE_INDEX).all() and (batch["attention_mask"][0, n0:] == 0).all()
    assert (batch["input_ids"][0, n0:] == tokenizer.pad_token_id).all()


def test_too_long_question_is_cut_never_the_answer(tokenizer):
    options = {"A": "Vitamin A", "B": "Vitamin C"}
    question = "A long case history. " * 200 + "Which vitamin is missing?"
    target = format_response("rationale", ["B"], "Scurvy means vitamin C is missing.")
    ex = TextExample(id="x", kind="rationale", where="Train/English.jsonl:1", question=question, options=options,
                     language="English", prompt=build_prompt(question, options, "English", "rationale"),
                     target=target)
    # room for the prompt with a short question and the whole target, whatever the tokenizer
    short_prompt = build_prompt("Which vitamin is missing? " * 3, options, "English", "rationale")
    fits = len(tokenizer(short_prompt).input_ids) + len(tokenizer(target, add_special_tokens=False).input_ids) + 1
    tok = tokenize_example(tokenizer, ex, max_seq_len=fits)
    assert tok is not None and tok.truncated
    assert len(tok.input_ids) <= fits
    text = tokenizer.decode(tok.input_ids, skip_special_tokens=True)
    assert text.endswith(target)
    assert "Which vitamin is missing?" in text and "…" in text  # start and end of the question are kept
    assert tokenizer.decode([t for t in tok.labels if t != IGNORE_INDEX], skip_special_tokens=True) == target
    no_question = len(tokenizer(build_prompt("", options, "English", "rationale")).input_ids)
    assert tokenize_example(tokenizer, ex, max_seq_len=no_question) is None  # even no question would not fit


def test_truncations_are_counted_and_unfittable_examples_are_bad_records(tmp_path, tokenizer):
    long_q = ("English", {"question": "Long history. " * 300 + "What now?", "options": {"A": "x", "B": "y"},
                          "answer_idx": "A", "rationale": "Because."})
    train = write_train_dir(tmp_path, QUESTIONS[:2] + [long_q])
    _, counts = build_dataset(FinetuneDataConfig(train_dir=str(train), max_seq_len=400), tokenizer)
    assert counts["truncated"] == 2  # both kinds of the long question
    assert counts["too_long_rejected"] == 0
    with pytest.raises(BadRecordError, match=r"English\.jsonl:1: rationale example does not fit"):
        build_dataset(FinetuneDataConfig(train_dir=str(train), max_seq_len=60), tokenizer)


def test_bad_record_names_file_and_line(tmp_path, tokenizer):
    train = write_train_dir(tmp_path)
    with open(train / "English.jsonl", "a", encoding="utf-8") as f:
        f.write(json.dumps({"question": "No answer given", "options": {"A": "a", "B": "b"}}) + "\n")
    with pytest.raises(BadRecordError, match=r"English\.jsonl:4: 'answer_idx' is missing"):
        build_dataset(FinetuneDataConfig(train_dir=str(train)), tokenizer)

    rejects = RejectLog(tmp_path / "rejects.jsonl")
    dataset, counts = build_dataset(FinetuneDataConfig(train_dir=str(train), on_bad_record="skip"), tokenizer,
                                    rejects)
    rejects.close()
    assert counts["rejected"] == 1 and len(dataset) == 10
    rejected = [json.loads(x) for x in (tmp_path / "rejects.jsonl").read_text().splitlines()]
    assert rejected[0]["where"].endswith("English.jsonl:4")


def test_instruction_mixing_ratio_and_bad_lines(tmp_path, tokenizer):
    train = write_train_dir(tmp_path)
    inst = tmp_path / "instructions.jsonl"
    rows = [{"instruction": f"Say the number {i}.", "input": "", "output": str(i)} for i in range(3)]
    rows.append({"instruction": "Translate to French.", "input": "heart", "output": "cœur"})
    inst.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    cfg = FinetuneDataConfig(train_dir=str(train), instructions=str(inst), instruction_ratio=0.5)
    dataset, counts = build_dataset(cfg, tokenizer)
    assert counts["examples_instruction"] == 5 and len(dataset) == 15  # 0.5 * 10, the pool of 4 reused once
    assert Counter(dataset.kinds)["instruction"] == 5

    with open(inst, "a", encoding="utf-8") as f:
        f.write(json.dumps({"instruction": "no output"}) + "\n")
    with pytest.raises(BadRecordError, match=r"instructions\.jsonl:5: 'output' must be a non-empty string"):
        build_dataset(cfg, tokenizer)
