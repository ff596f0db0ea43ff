"""Prompt styles: the authors' format to the character (golden strings written from PAPER.md), and ours."""

from __future__ import annotations

import json

import pytest

from common.languages import MMEDBENCH_LANGUAGES
from common.prompts import STYLES, build_prompt, format_response, get_style, read_style_file, write_style_file

OPTIONS = {"B": "二", "A": "一", "C": "三"}

# The authors' text, typed out from PAPER.md (not produced by our code): Alpaca prompt_input, their instructions
# (typographic apostrophe in "Let’s"), the "best treatment" sentence, options "K. text " in file order.
GOLDEN_RATIONALE = (
    "Below is an instruction that describes a task, paired with an input that provides further context. Write a "
    "response that appropriately completes the request.\n\n### Instruction:\nYou're a French doctor, kindly address "
    "the medical queries according to the patient's account in French. Let’s solve this step-by-step. You should "
    "first give the reason in French for your choice. Then you should give the right answer index of the question."
    "\n\n### Input:\n###Question: Quel organe sécrète l'insuline ? Which of the following is the best treatment for "
    "this patient? ###Options: A. Le foie B. Le pancréas C. La rate \n\n### Response:"
)
GOLDEN_ANSWER = (
    "Below is an instruction that describes a task, paired with an input that provides further context. Write a "
    "response that appropriately completes the request.\n\n### Instruction:\nYou're a Japanese doctor, kindly "
    "address the medical queries according to the patient's account. Answer with the best option directly.\n\n"
    "### Input:\n###Question: インスリンを分泌する臓器はどれか。 Which of the following is the best treatment for "
    "this patient? ###Options: B. 膵臓 A. 肝臓 \n\n### Response:"
)


def test_mmedlm_rationale_prompt_is_the_authors_text():
    options = {"A": "Le foie", "B": "Le pancréas", "C": "La rate"}
    assert build_prompt("Quel organe sécrète l'insuline ?", options, "French", "rationale") == GOLDEN_RATIONALE


def test_mmedlm_answer_prompt_keeps_file_order_and_ends_options_with_a_space():
    options = {"B": "膵臓", "A": "肝臓"}  # the file's order, not sorted
    assert build_prompt("インスリンを分泌する臓器はどれか。", options, "Japanese", "answer") == GOLDEN_ANSWER


def test_mmedlm_infer_differs_only_by_the_inference_scripts_double_space():
    options = {"A": "Le foie", "B": "Le pancréas", "C": "La rate"}
    infer = get_style("mmedlm-infer").build_prompt("Quel organe sécrète l'insuline ?", options, "French", "rationale")
    assert infer == GOLDEN_RATIONALE.replace("step-by-step. You", "step-by-step.  You")
    answer = get_style("mmedlm-infer").build_prompt("q", options, "French", "answer")
    assert answer == build_prompt("q", options, "French", "answer")


def test_mmedlm_targets_multi_answer_and_rationale():
    assert format_response("answer", ["C", "A"]) == "###Answer: OPTION A,C IS CORRECT."
    assert format_response("rationale", ["B"], "Das Pankreas.") == (
        "###Rationale: Das Pankreas.\n###Answer: OPTION B IS CORRECT.")


def test_structured_style_is_ours():
    style = get_style("structured")
    for language in MMEDBENCH_LANGUAGES:
        for mode in ("answer", "rationale"):
            prompt = style.build_prompt("  Question text?  ", OPTIONS, language, mode)
            assert language in prompt
            assert "###Question: Question text?\n" in prompt
            assert prompt.endswith("###Options:\nA. 一\nB. 二\nC. 三\n")
            assert ("###Rationale:" in prompt) == (mode == "rationale")
    assert style.format_response("rationale", ["B"], " Because. ") == (
        "###Rationale: Because.\n###Answer: OPTION B IS CORRECT.")


def test_unknown_style_and_mode_are_clear_errors():
    with pytest.raises(ValueError, match="unknown prompt_style 'alpaca'; known: mmedlm"):
        get_style("alpaca")
    for style in STYLES.values():
        with pytest.raises(ValueError, match="mode must be one of"):
            style.build_prompt("q", OPTIONS, "English", "chat")


def test_instruction_prompts_follow_the_style():
    mmedlm = get_style("mmedlm").instruction_prompt("Summarise.", "Some text.")
    assert mmedlm.endswith("### Instruction:\nSummarise.\n\n### Input:\nSome text.\n\n### Response:")
    assert get_style("mmedlm").instruction_prompt("Say hi.").endswith("### Instruction:\nSay hi.\n\n### Response:")


def test_style_file_round_trip(tmp_path):
    assert read_style_file(tmp_path) is None
    write_style_file(tmp_path, "structured")
    assert read_style_file(tmp_path) == "structured"
    (tmp_path / "mmed_prompt_style.json").write_text(json.dumps({"prompt_style": "nope"}))
    with pytest.raises(ValueError, match="unknown prompt_style 'nope'"):
        read_style_file(tmp_path)


def _authors_prompt(record: dict, language: str, mode: str) -> str:
    """The authors' inference script, transcribed: how they render one MMedBench record."""
    prompt_input = ("Below is an instruction that describes a task, paired with an input that provides further "
                    "context. Write a response that appropriately completes the request.\n\n"
                    "### Instruction:\n{instruction}\n\n### Input:\n{input}\n\n### Response:")
    if mode == "rationale":
        instruction = (f"You're a {language} doctor, kindly address the medical queries according to the patient's "
                       f"account in {language}. Let’s solve this step-by-step.  You should first give the reason in "
                       f"{language} for your choice. Then you should give the right answer index of the question.")
    else:
        instruction = (f"You're a {language} doctor, kindly address the medical queries according to the patient's "
                       "account. Answer with the best option directly.")
    options = ""
    for key, value in record["options"].items():
        options += f"{key}. {value} "
    question = record["question"] + " Which of the following is the best treatment for this patient?"
    return prompt_input.format(instruction=instruction, input=f"###Question: {question} ###Options: {options}")


def test_released_weights_config_gives_the_authors_prompts_for_every_sample(repo_root, samples_dir):
    """configs/inference/mmed_llama3.yaml renders every sample record exactly as the authors' inference script."""
    from common.config import load_config
    from common.mmedbench import line_of, load_split
    from inference.generation import GenerateConfig, work_items

    cfg = load_config(GenerateConfig, ["--config", str(repo_root / "configs/inference/mmed_llama3.yaml")])
    style = get_style(cfg.prompt_style)
    test_dir = samples_dir / "mmedbench" / "Test"
    raw = {}
    for language in MMEDBENCH_LANGUAGES:
        lines = (test_dir / f"{language}.jsonl").read_text(encoding="utf-8").splitlines()
        raw[language] = [json.loads(line) for line in lines if line.strip()]
    questions = load_split(str(test_dir))
    items = work_items(questions, ["answer", "rationale"], style)
    seen = 0
    for item in items:
        language = item.question.language
        line = line_of(item.question.id)
        assert item.prompt == _authors_prompt(raw[language][line - 1], language, item.mode), item.question.id
        seen += 1
    assert seen == 2 * sum(len(v) for v in raw.values())
