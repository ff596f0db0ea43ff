from __future__ import annotations

import json
import re

import pytest

from common.languages import MMEDBENCH_LANGUAGES
from common.mmedbench import line_of, load_split, normalise_answer, parse_id, question_key
from common.records import BadRecordError, RejectLog


def _q(answer, **kw):
    rec = {"question": "Q?", "options": {"A": "a", "B": "b", "C": "c", "D": "d"}, "answer_idx": answer,
           "rationale": "R.", "human_checked": 1, "human_check_passed": 0}
    rec.update(kw)
    return json.dumps(rec, ensure_ascii=False)


def test_answer_forms_normalise_to_sorted_list():
    assert normalise_answer("C") == ["C"]
    assert normalise_answer("C,A") == ["A", "C"]
    assert normalise_answer(["D", "B"]) == ["B", "D"]
    with pytest.raises(ValueError):
        normalise_answer(3)


def test_loader_ids_languages_and_bools(tmp_path):
    split = tmp_path / "Test"
    split.mkdir()
    (split / "French.jsonl").write_text(_q("A,C") + "\n" + _q(["B"], human_check_passed=True) + "\n")
    recs = load_split(split)
    assert [r.id.rsplit("-", 1)[0] for r in recs] == ["French-test-1", "French-test-2"]
    assert all(re.fullmatch(r"French-test-\d-[0-9a-f]{8}", r.id) for r in recs)
    assert recs[0].gold_answer == ["A", "C"] and recs[0].is_multi_answer and recs[0].lang_code == "fr"
    assert recs[0].human_check_passed is False and recs[1].human_check_passed is True


def test_ids_follow_the_content_not_the_line(tmp_path):
    """A line inserted above a question moves its line number but not its key; a repeated question keeps its
    own id; a corrected gold answer is a new question."""
    split = tmp_path / "Test"
    split.mkdir()
    path = split / "English.jsonl"
    path.write_text(_q("A") + "\n" + _q("B") + "\n")
    before = [r.id for r in load_split(split)]
    path.write_text(_q("C") + "\n" + _q("A") + "\n" + _q("B") + "\n" + _q("B") + "\n")
    after = [r.id for r in load_split(split)]
    assert [line_of(i) for i in after] == [1, 2, 3, 4]
    assert [question_key(i) for i in after[1:3]] == [question_key(i) for i in before]
    assert len({question_key(i) for i in after}) == 4  # the repeat of B is its own question
    assert question_key(after[0]) not in {question_key(i) for i in before}
    assert parse_id("English-test-12") == ("English-test", 12, None)  # older ids still read
    assert question_key("PubMedQA-123") == "PubMedQA-123"


def test_gold_letter_not_in_options_names_file_and_line(tmp_path):
    split = tmp_path / "Train"
    split.mkdir()
    (split / "English.jsonl").write_text(_q("A") + "\n" + _q("E") + "\n")
    with pytest.raises(BadRecordError, match=r"English\.jsonl:2: gold letter.*E"):
        load_split(split)
    rejects = RejectLog(tmp_path / "rejects.jsonl")
    assert len(load_split(split, on_bad_record="skip", rejects=rejects)) == 1
    assert rejects.count == 1


def test_bundled_samples_are_valid(samples_dir):
    for split, minimum in (("Train", 16), ("Test", 8)):
        recs = load_split(samples_dir / "mmedbench" / split)
        by_lang = {lang: [r for r in recs if r.language == lang] for lang in MMEDBENCH_LANGUAGES}
        for lang, items in by_lang.items():
            assert len(items) >= minimum, (split, lang)
            assert all(4 <= len(r.options) <= 5 for r in items), (split, lang)
        assert any(r.is_multi_answer for r in by_lang["French"])
        assert any(r.is_multi_answer for r in by_lang["Japanese"])
    test = load_split(samples_dir / "mmedbench" / "Test")
    assert any(not r.human_check_passed for r in test)
