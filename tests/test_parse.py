"""Answer parsing on real-looking outputs in the six MMedBench languages."""

from __future__ import annotations

import pytest

from inference.parse import cut_after_answer_line, extract_rationale, is_correct, parse_answer

OPTIONS5 = {k: f"option {k}" for k in "ABCDE"}

# (output, expected letters or None for unparsed)
CASES = [
    # English: trained format, variants, garbage
    ("###Answer: OPTION C IS CORRECT.", ("C",)),
    ("###Rationale: Digoxin inhibits the Na+/K+-ATPase.\n###Answer: OPTION E IS CORRECT.<|end_of_text|>", ("E",)),
    ("OPTION C IS CORRECT", ("C",)),
    ("The answer is B.", ("B",)),
    ("Answer: D", ("D",)),
    ("B", ("B",)),
    ("(A)</s>", ("A",)),
    ("The answer is a diagnosis of exclusion.", None),
    ("I am not sure about this question.", None),
    ("", None),
    # Chinese (full-width letters and punctuation)
    ("###Rationale: 患者出现典型的心绞痛症状。\n###Answer: OPTION A IS CORRECT.", ("A",)),
    ("答案：B", ("B",)),
    ("正确答案是Ｃ选项", ("C",)),
    ("答案是A、C", ("A", "C")),
    ("这道题很难。", None),
    # Japanese
    ("###Rationale: 心筋梗塞を疑う。\n###Answer: OPTION A,C IS CORRECT.", ("A", "C")),
    ("正解はＤです。", ("D",)),
    ("わかりません", None),
    # French (multi-answer questions)
    ("###Answer: OPTION A, C IS CORRECT.", ("A", "C")),
    ("OPTION A, C, E IS CORRECT", ("A", "C", "E")),
    ("Réponse : B et D", ("B", "D")),
    ("La réponse est A", ("A",)),
    # Russian (Cyrillic look-alike capitals read as Latin)
    ("###Rationale: Ответ основан на данных.\n###Answer: OPTION B IS CORRECT.", ("B",)),
    ("Ответ: В", ("B",)),
    ("Ответ: Да", None),
    # Spanish
    ("###Answer: OPTION D IS CORRECT.\n###Answer: OPTION A IS CORRECT.", ("D",)),
    ("La respuesta correcta es E", ("E",)),
    ("Respuesta: C", ("C",)),
    ("No lo sé", None),
    ("La respuesta correcta es la C", ("C",)),
    ("La bonne réponse est la B", ("B",)),
    ("故选B", ("B",)),
    ("答えはBです", ("B",)),
    # lists with ", and" / ", et"; a bare space joins letters only inside a list
    ("###Answer: OPTION A, B, and C IS CORRECT.", ("A", "B", "C")),
    ("###Answer: OPTION A, C, et D IS CORRECT.", ("A", "C", "D")),
    ("OPTION A C IS CORRECT", ("A", "C")),
    ("The answer is A I believe", ("A",)),
    ("Answer: I think A", None),
    # a reasoning text's conclusion wins over an earlier mention
    ("Option A is correct only in children. In adults, the answer is C.", ("C",)),
]


@pytest.mark.parametrize(("output", "expected"), CASES)
def test_parse_table(output, expected):
    parsed = parse_answer(output)
    assert parsed.letters == expected, (output, parsed)
    assert parsed.parsed == (expected is not None)


def test_multi_answer_needs_the_exact_set():
    gold = ["A", "C"]
    assert is_correct(parse_answer("###Answer: OPTION A,C IS CORRECT."), gold, OPTIONS5)
    assert is_correct(parse_answer("###Answer: OPTION C,A IS CORRECT."), gold, OPTIONS5)
    assert not is_correct(parse_answer("###Answer: OPTION A IS CORRECT."), gold, OPTIONS5)
    assert not is_correct(parse_answer("###Answer: OPTION A,C,D IS CORRECT."), gold, OPTIONS5)
    assert not is_correct(parse_answer("nonsense"), gold, OPTIONS5)


def test_letter_not_among_options_is_wrong():
    two = {"A": "Да", "B": "Нет"}  # RuMedDaNet: yes/no
    parsed = parse_answer("###Answer: OPTION C IS CORRECT.")
    assert parsed.letters == ("C",)
    assert not is_correct(parsed, ["C"], two)


def test_rationale_extraction_drops_header_and_answer_line():
    out = "###Rationale: 心筋梗塞の典型的な症状である。\n###Answer: OPTION A IS CORRECT."
    assert extract_rationale(out) == "心筋梗塞の典型的な症状である。"
    assert extract_rationale("###Rationale: no answer line at all") == "no answer line at all"


def test_cut_after_answer_line_keeps_only_the_first_answer():
    text = "###Rationale: x\n###Answer: OPTION B IS CORRECT.\n###Question: next one..."
    assert cut_after_answer_line(text) == "###Rationale: x\n###Answer: OPTION B IS CORRECT."
    assert cut_after_answer_line("no answer") == "no answer"
