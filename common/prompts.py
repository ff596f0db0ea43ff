"""The single source of the prompt formats (prompt styles) and of the answer format.

Fine-tuning (finetune.data), generation and loglik scoring (inference.generate), the leaderboard CSVs and the tiny
model's tokenizer all render prompts through a `PromptStyle` from `STYLES`, so what a model is taught is exactly
what it is asked. Styles:

- `mmedlm`: the authors' format (PAPER.md "Reproducing the authors' numbers exactly"), character for character as
  their fine-tuning script builds it: the Alpaca `prompt_input` template, their instruction wording, the options on
  one line ("A. x B. y "), the sentence about "the best treatment" appended to every question. The released
  MMedLM / MMed-Llama 3 weights were fine-tuned on it. The default.
- `mmedlm-infer`: the same with the one difference of the authors' inference script (two spaces after
  "step-by-step." in the rationale instruction), to regenerate their predictions to the character.
- `structured`: our own format (an explicit role and answer-format instruction, one option per line). Use it
  only for models fine-tuned with it: a model answers reliably only in the format it was trained on.

Both kinds of response (DESIGN.md) are the same in every style:

    rationale mode: "###Rationale: <text>\\n###Answer: OPTION <letters> IS CORRECT."
    answer mode:    "###Answer: OPTION <letters> IS CORRECT."

where several letters are joined by commas without spaces ("A,C"). Generation stops after the answer line.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, get_args

Mode = Literal["answer", "rationale"]  # what an example or a prediction holds: the answer only, or a rationale
MODES: tuple[str, ...] = get_args(Mode)
RATIONALE_HEADER = "###Rationale:"
ANSWER_HEADER = "###Answer:"
DEFAULT_STYLE = "mmedlm"


def join_letters(letters: Iterable[str]) -> str:
    return ",".join(sorted(letters))


def format_answer_line(letters: Iterable[str]) -> str:
    return f"{ANSWER_HEADER} OPTION {join_letters(letters)} IS CORRECT."


def _check_mode(mode: str) -> None:
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, got {mode!r}")


# ---------------------------------------------------------------------------------------------- mmedlm (authors)

# stanford_alpaca's PROMPT_DICT, which the authors' training and inference scripts use
ALPACA_PROMPT_INPUT = (
    "Below is an instruction that describes a task, paired with an input that provides further context. "
    "Write a response that appropriately completes the request.\n\n"
    "### Instruction:\n{instruction}\n\n### Input:\n{input}\n\n### Response:"
)
ALPACA_PROMPT_NO_INPUT = (
    "Below is an instruction that describes a task. "
    "Write a response that appropriately completes the request.\n\n"
    "### Instruction:\n{instruction}\n\n### Response:"
)
_MMEDLM_RATIONALE = (
    "You're a {lang} doctor, kindly address the medical queries according to the patient's account in {lang}. "
    "Let\u2019s solve this step-by-step.{gap}You should first give the reason in {lang} for your choice. "
    "Then you should give the right answer index of the question."
)
_MMEDLM_ANSWER = (
    "You're a {lang} doctor, kindly address the medical queries according to the patient's account. "
    "Answer with the best option directly."
)
_MMEDLM_INPUT = ("###Question: {question} Which of the following is the best treatment for this patient? "
                 "###Options: {options}")


def mmedlm_options(options: Mapping[str, str]) -> str:
    """"A. text B. text ": the file's order, each option followed by one space (so it ends with a space)."""
    return "".join(f"{key}. {text} " for key, text in options.items())


def _mmedlm_prompt(gap: str) -> Callable[[str, Mapping[str, str], str, str], str]:
    def build(question: str, options: Mapping[str, str], language: str, mode: str) -> str:
        _check_mode(mode)
        template = _MMEDLM_RATIONALE if mode == "rationale" else _MMEDLM_ANSWER
        instruction = template.format(lang=language, gap=gap)
        return ALPACA_PROMPT_INPUT.format(instruction=instruction, input=_MMEDLM_INPUT.format(
            question=question, options=mmedlm_options(options)))

    return build


def _mmedlm_response(mode: str, letters: Iterable[str], rationale: str) -> str:
    _check_mode(mode)
    if mode == "answer":
        return format_answer_line(letters)
    return f"{RATIONALE_HEADER} {rationale}\n{format_answer_line(letters)}"


def _alpaca_instruction(instruction: str, extra_input: str) -> str:
    if extra_input:
        return ALPACA_PROMPT_INPUT.format(instruction=instruction, input=extra_input)
    return ALPACA_PROMPT_NO_INPUT.format(instruction=instruction)


# ---------------------------------------------------------------------------------------------- structured (ours)

_ROLE = (
    "You are an experienced physician who practises in {language}. Read the medical question below and its "
    "options, then choose the correct option(s)."
)
_TASK = {
    "answer": "Reply with the answer only, on one line, in the form \"###Answer: OPTION <letter(s)> IS CORRECT.\"",
    "rationale": (
        "First explain your reasoning in {language} after \"###Rationale:\", weighing the options step by step; "
        "then give the answer on its own line in the form \"###Answer: OPTION <letter(s)> IS CORRECT.\""
    ),
}
_MULTI_HINT = " If several options are correct, list all of their letters separated by commas."
_LAYOUT = "{role}{multi}\n{task}\n\n###Question: {question}\n###Options:\n{options}\n"


def structured_options(options: Mapping[str, str]) -> str:
    return "\n".join(f"{letter}. {text}" for letter, text in sorted(options.items()))


def _structured_prompt(question: str, options: Mapping[str, str], language: str, mode: str) -> str:
    _check_mode(mode)
    return _LAYOUT.format(role=_ROLE.format(language=language), multi=_MULTI_HINT,
                          task=_TASK[mode].format(language=language), question=question.strip(),
                          options=structured_options(options))


def _structured_response(mode: str, letters: Iterable[str], rationale: str) -> str:
    return _mmedlm_response(mode, letters, rationale.strip())


def _structured_instruction(instruction: str, extra_input: str) -> str:
    return f"{instruction}\n\n{extra_input}\n" if extra_input else f"{instruction}\n"


# ---------------------------------------------------------------------------------------------- registry


@dataclass(frozen=True)
class PromptStyle:
    """How a question becomes a prompt and an answer becomes a training target, for one family of models."""

    name: str
    description: str
    _prompt: Callable[[str, Mapping[str, str], str, str], str]
    _response: Callable[[str, Iterable[str], str], str]
    _instruction: Callable[[str, str], str]
    # generation stops once the output holds a completed answer line
    stop_strings: tuple[str, ...] = ("IS CORRECT.",)

    def build_prompt(self, question: str, options: Mapping[str, str], language: str, mode: str) -> str:
        """The prompt for one question; `language` is the MMedBench name ("Japanese"), as the file's stem."""
        return self._prompt(question, options, language, mode)

    def format_response(self, mode: str, letters: Iterable[str], rationale: str = "") -> str:
        """The target text the model learns to write right after the prompt (the EOS token is added by the caller)."""
        return self._response(mode, letters, rationale)

    def answer_line(self, letters: Iterable[str]) -> str:
        return format_answer_line(letters)

    def instruction_prompt(self, instruction: str, extra_input: str = "") -> str:
        """The prompt for a general instruction example (instruction data mixed into fine-tuning)."""
        return self._instruction(instruction.strip(), extra_input.strip())


STYLES: dict[str, PromptStyle] = {
    "mmedlm": PromptStyle(
        "mmedlm", "the authors' Alpaca-based format (MMedLM, MMed-Llama 3); the paper's fine-tuning text",
        _mmedlm_prompt(" "), _mmedlm_response, _alpaca_instruction),
    "mmedlm-infer": PromptStyle(
        "mmedlm-infer", "the authors' inference-script text: mmedlm with two spaces after 'step-by-step.'",
        _mmedlm_prompt("  "), _mmedlm_response, _alpaca_instruction),
    "structured": PromptStyle(
        "structured", "this project's own format: explicit answer-format instruction, one option per line",
        _structured_prompt, _structured_response, _structured_instruction),
}
StyleName = Literal["mmedlm", "mmedlm-infer", "structured"]  # a config field's type: one of STYLES
assert set(get_args(StyleName)) == set(STYLES), "StyleName lists every registered style"


def get_style(name: str) -> PromptStyle:
    """The registered style called `name` (a clear error lists the known ones)."""
    try:
        return STYLES[name]
    except KeyError:
        raise ValueError(f"unknown prompt_style {name!r}; known: {', '.join(STYLES)}") from None


# the default style's functions, for callers that do not choose one
def build_prompt(question: str, options: Mapping[str, str], language: str, mode: str,
                 style: str = DEFAULT_STYLE) -> str:
    return get_style(style).build_prompt(question, options, language, mode)


def format_response(mode: str, letters: Iterable[str], rationale: str = "", style: str = DEFAULT_STYLE) -> str:
    return get_style(style).format_response(mode, letters, rationale)


# ---------------------------------------------------------------------------------------------- model folders

# written by fine-tuning into the model/adapter dir it exports, read by generation: the style a model was taught
STYLE_FILE = "mmed_prompt_style.json"


def write_style_file(model_dir: str | Path, style: str) -> Path:
    from common.records import write_text

    get_style(style)
    path = Path(model_dir) / STYLE_FILE
    write_text(path, json.dumps({"prompt_style": style}) + "\n")
    return path


def read_style_file(model_dir: str | Path) -> str | None:
    """The style recorded in a model/adapter dir, or None when the dir records none (e.g. a released model)."""
    path = Path(model_dir) / STYLE_FILE
    if not path.is_file():
        return None
    try:
        style = json.loads(path.read_text(encoding="utf-8"))["prompt_style"]
    except (ValueError, KeyError, TypeError) as err:
        raise ValueError(f"{path}: not a prompt-style record ({err})") from None
    get_style(style)
    return style
