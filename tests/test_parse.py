"""Answer parsing: the strict rule (trained line only) and the lenient one (a careful reader), in six languages.

The cases in tests/data/parse_cases.yaml carry the letters a reader gives, written by reading each output.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
import yaml

from common.prompts import format_response
from inference.parse import (
    RULES,
    ParsedAnswer,
    cut_after_answer_line,
    extract_rationale,
    has_answer_line,
    is_correct,
    parse_answer,
    parse_lenient,
    parse_strict,
    rewrite_positions,
)

CASES = yaml.safe_load((Path(__file__).parent / "data" / "parse_cases.yaml").read_text(encoding="utf-8"))["cases"]
# cases a careful reader gets and the lenient rule does not (none today); each with the reason
KNOWN_MISSES: dict[str, str] = {}


def _expected(case: dict, key: str) -> tuple[str, ...] | None:
    return None if case[key] is None else tuple(case[key])


def _case_id(case: dict) -> str:
    return f"{case['lang']}-{case['cat']}-{case['output'][:40]!r}"


def test_the_set_covers_every_language_and_category():
    assert len(CASES) >= 150
    assert {case["lang"] for case in CASES} == {"en", "zh", "ja", "fr", "ru", "es"}
    categories = {case["cat"] for case in CASES}
    assert {"cue", "plural_cue", "cue_lowercase", "letter_list", "option_text", "cyrillic_label", "full_width",
            "negation", "hedge", "not_an_option", "abbreviation", "yes_no", "number", "also", "truncated"} <= categories


@pytest.mark.parametrize("case", CASES, ids=_case_id)
def test_lenient_reads_as_a_careful_reader(case):
    got = parse_lenient(case["output"], case["options"])
    if case["output"] in KNOWN_MISSES:
        return
    assert got.letters == _expected(case, "expect"), (case["output"], got)
    assert got.parsed == (got.letters is not None)


def test_lenient_agreement_is_at_least_95_percent():
    agree = sum(parse_lenient(c["output"], c["options"]).letters == _expected(c, "expect") for c in CASES)
    assert agree / len(CASES) >= 0.95, f"{agree}/{len(CASES)}"


@pytest.mark.parametrize("rule", sorted(RULES))
def test_no_rule_ever_returns_a_letter_outside_the_options(rule):
    for case in CASES:
        got = RULES[rule](case["output"], case["options"])
        assert got.letters is None or set(got.letters) <= set(case["options"]), (case["output"], got)
        assert got.letters is None or list(got.letters) == sorted(set(got.letters))


@pytest.mark.parametrize("case", [c for c in CASES if "strict" in c], ids=_case_id)
def test_strict_credits_only_the_exact_trained_line(case):
    assert parse_strict(case["output"], case["options"]).letters == _expected(case, "strict")


def test_strict_is_never_more_generous_than_lenient():
    for case in CASES:
        strict = parse_strict(case["output"], case["options"])
        if strict.parsed:
            assert parse_lenient(case["output"], case["options"]).letters == strict.letters, case["output"]


@pytest.mark.parametrize("size", range(1, 6))
def test_trained_line_parses_to_its_letters_for_every_subset(size):
    options = {letter: f"text {letter}" for letter in "ABCDE"}
    for letters in itertools.combinations("ABCDE", size):
        for mode in ("answer", "rationale"):
            output = format_response(mode, letters, "Because of the findings.") + "</s>"
            for rule in (parse_strict, parse_lenient):
                assert rule(output, options) == ParsedAnswer(letters, "answer_line"), (rule.__name__, output)


def test_why_an_answer_was_not_read_is_named():
    five = {letter: f"text {letter}" for letter in "ABCDE"}
    assert parse_lenient("The answer is F.", five).rule == "not_an_option"
    assert parse_lenient("Ответ: В", {"A": "да", "B": "нет"}).rule == "not_an_option"
    assert parse_lenient("The answer is B or C.", five).rule == "ambiguous"
    assert parse_lenient("No idea.", five).rule == "unparsed"
    assert parse_strict("The answer is B.", five).rule == "unparsed"
    assert parse_strict("###Answer: OPTION F IS CORRECT.", five).rule == "not_an_option"


def test_each_rule_names_itself():
    options = {"A": "Liver", "B": "Spleen", "C": "Pancreas"}
    assert parse_lenient("###Answer: OPTION A IS CORRECT. OPTION C IS ALSO CORRECT.", options).rule == \
        "answer_line_extra"
    assert parse_lenient("La respuesta correcta es la 3", options) == ParsedAnswer(("C",), "cue")
    assert parse_lenient("Pancreas.", options) == ParsedAnswer(("C",), "option_text")
    assert parse_lenient("A & C", options) == ParsedAnswer(("A", "C"), "letter_list")
    assert parse_lenient("(B)", options) == ParsedAnswer(("B",), "lone_letter")
    assert parse_lenient("Answer: B", options) == ParsedAnswer(("B",), "cue")


def test_without_options_the_letters_a_to_e_are_assumed():
    assert parse_answer("###Answer: OPTION C IS CORRECT.") == ParsedAnswer(("C",), "answer_line")
    assert parse_answer("Answer: F").rule == "not_an_option"


def test_multi_answer_needs_the_exact_set():
    options = {letter: f"text {letter}" for letter in "ABCDE"}
    gold = ["A", "C"]
    assert is_correct(parse_lenient("###Answer: OPTION A,C IS CORRECT.", options), gold, options)
    assert is_correct(parse_lenient("###Answer: OPTION C,A IS CORRECT.", options), gold, options)
    assert not is_correct(parse_lenient("###Answer: OPTION A IS CORRECT.", options), gold, options)
    assert not is_correct(parse_lenient("###Answer: OPTION A,C,D IS CORRECT.", options), gold, options)
    assert not is_correct(parse_lenient("nonsense", options), gold, options)


def test_rationale_extraction_drops_header_and_answer_line():
    out = "###Rationale: 心筋梗塞の典型的な症状である。\n###Answer: OPTION A IS CORRECT."
    assert extract_rationale(out) == "心筋梗塞の典型的な症状である。"
    assert extract_rationale("###Rationale: no answer line at all") == "no answer line at all"


def test_cut_after_answer_line_keeps_only_the_first_answer():
    text = "###Rationale: x\n###Answer: OPTION B IS CORRECT.\n###Question: next one..."
    assert cut_after_answer_line(text) == "###Rationale: x\n###Answer: OPTION B IS CORRECT."
    assert cut_after_answer_line("no answer") == "no answer"
    assert has_answer_line(text)
    assert not has_answer_line("###Answer: OPTION B IS")


HELD_OUT = yaml.safe_load((Path(__file__).parent / "data" / "parse_heldout.yaml").read_text(encoding="utf-8"))


def test_lenient_agrees_with_a_careful_reader_on_the_held_out_set():
    """Outputs written apart from parse_cases.yaml: >= 95% agreement with the reader, and a wrong letter (one given
    where the reader gives another answer or none) at most once in 150 outputs."""
    cases = HELD_OUT["cases"]
    assert len(cases) >= 150 and {case["lang"] for case in cases} == {"en", "zh", "ja", "fr", "ru", "es"}
    agree, wrong = 0, []
    for case in cases:
        got = parse_lenient(case["output"], case["options"]).letters
        agree += got == _expected(case, "expect")
        if got is not None and got != _expected(case, "expect"):
            wrong.append((case["output"], got))
    assert agree / len(cases) >= 0.95, f"{agree}/{len(cases)}"
    assert len(wrong) <= len(cases) / 150, wrong


FIVE = {letter: f"text {letter}" for letter in "ABCDE"}


@pytest.mark.parametrize(("output", "strict", "lenient"), [
    ("###Answer: OPTION B IS CORRECT.", ("B",), ("B",)),
    ("  ###Answer: OPTION B IS CORRECT.</s>\n", ("B",), ("B",)),
    ("###Answer: OPTION B IS CORRECT", None, ("B",)),                        # no final full stop
    ("###Answer: OPTION B IS CORRECT..", None, ("B",)),
    ("###Answer: OPTION B IS CORRECT.\n###Answer: OPTION C IS CORRECT.", None, ("B",)),  # two answer lines
    ("###Answer: option b is correct.", None, ("B",)),                       # other casing
    ("###answer: OPTION B IS CORRECT.", None, ("B",)),
    ("###Answer: OPTION A, C IS CORRECT.", None, ("A", "C")),               # a space after the comma
    ("###Answer: OPTIONS A,C ARE CORRECT.", None, ("A", "C")),
    ("###Answer: OPTION B IS CORRECT. It binds the receptor.", None, ("B",)),  # text after the line
    ("Answer: OPTION B IS CORRECT.", None, ("B",)),                          # no "###"
    ("###Answer: OPTION B IS NOT CORRECT.", None, None),                     # negated
    ("###Answer: OPTION B IS NOT CORRECT. OPTION D IS CORRECT.", None, ("D",)),
    ("###Answer: OPTION C IS CORRECT. OPTION D IS ALSO CORRECT.", None, ("C", "D")),
    ("OPTION C IS CORRECT. OPTION D IS ALSO CORRECT.", None, ("C", "D")),
    ("###Answer: OPTION F IS CORRECT.", None, None),                         # not an option
    ("C", None, ("C",)),                                                     # the authors' rule credits this
])
def test_strict_and_lenient_on_near_miss_lines(output, strict, lenient):
    assert parse_strict(output, FIVE).letters == strict
    assert parse_lenient(output, FIVE).letters == lenient


@pytest.mark.parametrize(("output", "rule"), [
    ("Answer: 2", "ambiguous"), ("正解は1です", "ambiguous"), ("Ответ: 3", "ambiguous"),
    ("The answer is B or C.", "ambiguous"), ("Respuesta: A, pero también podría ser E.", "ambiguous"),
])
def test_what_a_reader_cannot_decide_is_ambiguous(output, rule):
    assert parse_lenient(output, FIVE) == ParsedAnswer(None, rule)


def test_numbered_and_ordinal_options_are_read_by_position():
    three = {"A": "Liver", "B": "Spleen", "C": "Pancreas"}
    for output in ("The second option is correct.", "第二个选项正确", "Второй вариант правильный.", "Option 2 is correct.",
                   "2番目の選択肢が正解です。", "La respuesta es la segunda."):
        assert parse_lenient(output, three).letters == ("B",), output
    # "first-line" (第一選択, "the first choice") names no option's position
    assert rewrite_positions("第一選択はC; the first choice is C", FIVE) == "第一選択はC; the first choice is C"
    assert parse_lenient("The answer is option 4", three).rule == "not_an_option"


@pytest.mark.parametrize(("output", "letters"), [
    ("Pneumonia would present with fever.", None),
    ("Aortic dissection must be ruled out first.", None),
    ("A chest X-ray can show pneumothorax.", None),
    ("I cannot decide between pneumonia and pulmonary embolism.", None),
    ("Considering pneumothorax, pneumonia and pulmonary embolism, the next step is CT angiography.", None),
    ("Pulmonary embolism is unlikely here.", None),
    ("The diagnosis is pulmonary embolism.", ("B",)),
    ("Pulmonary embolism is the most likely cause; pneumothorax is excluded.", ("B",)),
])
def test_an_option_named_in_passing_is_no_answer(output, letters):
    """Without a cue or a label, an option's text is an answer only where the output chooses it."""
    options = {"A": "Pneumonia", "B": "Pulmonary embolism", "C": "Pneumothorax", "D": "Acute myocardial infarction",
               "E": "Aortic dissection"}
    assert parse_lenient(output, options).letters == letters
