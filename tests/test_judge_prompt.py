"""The judge's reply parser: JSON in its common shapes first, then 'R2: accuracy 4, ...' lines; anything that
does not score every shown rationale on every criterion within 1-5 is unparsed, with the reason."""

from __future__ import annotations

import pytest

from inference.judging.items import StudyItem
from inference.judging.prompt import judge_messages, parse_reply

FULL = {"R1": {"accuracy": 5, "reasoning": 4, "knowledge": 3}, "R2": {"accuracy": 1, "reasoning": 2, "knowledge": 1}}


@pytest.mark.parametrize("reply,how", [
    ('{"ratings": [{"label": "R1", "accuracy": 5, "reasoning": 4, "knowledge": 3}, '
     '{"label": "R2", "accuracy": 1, "reasoning": 2, "knowledge": 1}]}', "json"),
    ('Sure!\n```json\n{"R1": {"Accuracy": 5, "Reasoning": 4, "Knowledge": 3}, '
     '"R2": {"accuracy": 1.0, "reasoning": 2, "knowledge": 1}}\n```\nHope this helps.', "json"),
    ('[{"rationale": 1, "accuracy": 5, "reasoning": 4, "knowledge": 3}, '
     '{"rationale": 2, "accuracy": 1, "reasoning": 2, "knowledge": 1}]', "json"),
    ("Rationale R1: accuracy 5, reasoning 4, knowledge integration 3\n"
     "R2 - accuracy: 1; reasoning: 2; knowledge: 1", "text"),
])
def test_replies_in_common_shapes_are_read(reply, how):
    parsed = parse_reply(reply, 2)
    assert parsed.how == how
    assert parsed.ratings == FULL


@pytest.mark.parametrize("reply,reason", [
    ('{"ratings": [{"label": "R1", "accuracy": 5, "reasoning": 4, "knowledge": 3}]}', "no scores for R2"),
    ('{"R1": {"accuracy": 6, "reasoning": 4, "knowledge": 3}, "R2": {"accuracy": 1, "reasoning": 2, '
     '"knowledge": 1}}', "R1 accuracy: 6 is not an integer 1-5"),
    ('{"R1": {"accuracy": 5, "reasoning": "good", "knowledge": 3}, "R2": {"accuracy": 1, "reasoning": 2, '
     '"knowledge": 1}}', "R1 reasoning: 'good' is not a number"),
    ("Both rationales are reasonable.", "no JSON ratings"),
])
def test_incomplete_or_invalid_replies_are_unparsed_with_a_reason(reply, reason):
    parsed = parse_reply(reply, 2)
    assert parsed.ratings is None and parsed.how == "unparsed"
    assert reason in parsed.reason


def test_the_judge_sees_the_rationales_in_the_given_order_and_the_reference_only_when_asked():
    item = StudyItem(id="English-test-1", language="English", question="Which drug?", options={"A": "x", "B": "y"},
                     gold_answer=["B"], gold_rationale="Because y.", rationales={"m1": "first text", "m2": ""})
    text = judge_messages(item, ["m2", "m1"], show_reference=False)[-1]["content"]
    assert text.index("Rationale R1:\n(empty)") < text.index("Rationale R2:\nfirst text")
    assert "Because y." not in text and "m1" not in text and "Correct answer: B" in text
    assert "Reference rationale" in judge_messages(item, ["m1", "m2"], show_reference=True)[-1]["content"]
