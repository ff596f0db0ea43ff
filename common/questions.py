"""The one question record: a multiple-choice question to ask a model, wherever it was read from.

MMedBench (common.mmedbench), the English benchmarks (inference.benchmarks) and the multilingual ones
(inference.multilingual_benchmarks) all read their files into `Question`s; fine-tuning, generation, log-likelihood
scoring and the lm-eval task packages take them. The gold letters are `gold_answer` and the reference rationale is
`gold_rationale`, as in a prediction record (DESIGN.md "Records"), which copies them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from common.languages import by_name


@dataclass(frozen=True)
class Question:
    id: str  # `<Language>-<split>-<line>-<digest>`, `MedQA-<line>-<digest>`, ... (common.mmedbench.question_key)
    language: str  # the language's name ("English")
    question: str
    options: dict[str, str]  # letter -> text, in letter order
    gold_answer: list[str]  # sorted gold letters
    gold_rationale: str = ""  # the reference rationale ("" where the source has none)
    human_check_passed: bool = False
    benchmark: str = ""  # "" for MMedBench; "medqa", "mmlu/anatomy", "xmedbench", ... otherwise
    where: str = ""  # file:line it was read from
    # MMedBench's own fields, kept as read
    split: str = ""
    human_checked: bool = False
    extra: dict[str, Any] = field(default_factory=dict)  # answer, meta_info, metamap_phrases, ...

    @property
    def lang_code(self) -> str:
        return by_name(self.language).code

    @property
    def is_multi_answer(self) -> bool:
        return len(self.gold_answer) > 1
