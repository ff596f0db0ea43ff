"""The single source of the prompt templates and of the answer format.

Fine-tuning (finetune.data) and generation (inference.generate) both render prompts here, so what the model
is taught is exactly what it is asked. Output format (DESIGN.md):

    rationale mode: "###Rationale: <text>\\n###Answer: OPTION <letters> IS CORRECT."
    answer mode:    "###Answer: OPTION <letters> IS CORRECT."

where several letters are joined by commas ("A,C").
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

MODES = ("answer", "rationale")
RATIONALE_HEADER = "###Rationale:"
ANSWER_HEADER = "###Answer:"

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


def format_options(options: Mapping[str, str]) -> str:
    return "\n".join(f"{letter}. {text}" for letter, text in sorted(options.items()))


def build_prompt(
    question: str,
    options: Mapping[str, str],
    language: str,
    mode: str,
    multi_answer_hint: bool = True,
) -> str:
    """Render the prompt for one question. `language` is the MMedBench name (e.g. "Japanese")."""
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
    return _LAYOUT.format(
        role=_ROLE.format(language=language),
        multi=_MULTI_HINT if multi_answer_hint else "",
        task=_TASK[mode].format(language=language),
        question=question.strip(),
        options=format_options(options),
    )


def join_letters(letters: Iterable[str]) -> str:
    return ",".join(sorted(letters))


def format_answer_line(letters: Iterable[str]) -> str:
    return f"{ANSWER_HEADER} OPTION {join_letters(letters)} IS CORRECT."


def format_response(mode: str, letters: Iterable[str], rationale: str = "") -> str:
    """The target text the model learns to write after the prompt."""
    if mode == "answer":
        return format_answer_line(letters)
    if mode == "rationale":
        return f"{RATIONALE_HEADER} {rationale.strip()}\n{format_answer_line(letters)}"
    raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
