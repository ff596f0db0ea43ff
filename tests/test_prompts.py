from __future__ import annotations

import pytest

from common.languages import MMEDBENCH_LANGUAGES
from common.prompts import build_prompt, format_response

OPTIONS = {"B": "二", "A": "一", "C": "三"}


@pytest.mark.parametrize("language", MMEDBENCH_LANGUAGES)
@pytest.mark.parametrize("mode", ["answer", "rationale"])
def test_prompt_renders_for_every_language(language, mode):
    prompt = build_prompt("  Question text?  ", OPTIONS, language, mode)
    assert language in prompt
    assert "###Question: Question text?\n" in prompt
    assert prompt.endswith("###Options:\nA. 一\nB. 二\nC. 三\n")
    assert ("###Rationale:" in prompt) == (mode == "rationale")


def test_response_format_matches_design():
    assert format_response("answer", ["C", "A"]) == "###Answer: OPTION A,C IS CORRECT."
    assert format_response("rationale", ["B"], " Because. ") == "###Rationale: Because.\n###Answer: OPTION B IS CORRECT."
    with pytest.raises(ValueError):
        build_prompt("q", OPTIONS, "English", "chat")
