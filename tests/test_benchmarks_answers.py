"""Answers in the suite's new languages (de, it, ko, ar, hi) and with up to ten options (A-J), as the lenient rule
reads them: the cue words live in inference/answer_vocab.py with the others; the rule's guarantees hold (never a
letter that is not an option, a hedge is ambiguous, a denied option is not the answer)."""

from __future__ import annotations

import pytest

from inference.parse import parse_lenient, parse_strict

TEN = {letter: f"option {letter}" for letter in "ABCDEFGHIJ"}
FOUR = {letter: f"option {letter}" for letter in "ABCD"}


@pytest.mark.parametrize(("output", "letters"), [
    ("Die richtige Antwort ist E.", ("E",)),
    ("Antwort: F", ("F",)),
    ("B ist richtig.", ("B",)),
    ("A ist falsch, die Antwort lautet G.", ("G",)),
    ("Ich wähle A und C.", ("A", "C")),
    ("La risposta corretta è D.", ("D",)),
    ("Scelgo la B.", ("B",)),
    ("La A non è corretta, la risposta è E.", ("E",)),
    ("정답은 C입니다.", ("C",)),
    ("정답: D", ("D",)),
    ("C번이 정답입니다.", ("C",)),
    ("الإجابة الصحيحة هي B", ("B",)),
    ("الإجابة: G", ("G",)),
    ("सही उत्तर C है।", ("C",)),
    ("उत्तर: H", ("H",)),
    ("The answer is (J).", ("J",)),
    ("###Answer: OPTION I IS CORRECT.", ("I",)),
])
def test_new_language_answers_are_read(output, letters):
    assert parse_lenient(output, TEN).letters == letters


@pytest.mark.parametrize("output", ["Antwort: B oder C", "Risposta: B oppure C", "الإجابة: B أو C",
                                    "उत्तर: B या C", "정답은 B 또는 C"])
def test_hedges_are_ambiguous(output):
    parsed = parse_lenient(output, TEN)
    assert parsed.letters is None and parsed.rule == "ambiguous"


@pytest.mark.parametrize("output", ["Die Antwort ist F.", "정답은 H입니다.", "###Answer: OPTION J IS CORRECT."])
def test_a_letter_that_is_not_an_option_is_never_read(output):
    for parse in (parse_strict, parse_lenient):
        assert parse(output, FOUR).letters is None
    assert parse_lenient(output, FOUR).rule == "not_an_option"


def test_prose_is_not_an_answer():
    for output in ("Antworten Sie kurz.", "Eine Antwort gibt es nicht.", "I think e is right"):
        assert parse_lenient(output, TEN).letters is None, output
