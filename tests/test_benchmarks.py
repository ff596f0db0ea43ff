"""English benchmark loaders on the samples in each real format, including malformed records."""

from __future__ import annotations

import re

import pytest

from common.records import BadRecordError, RejectLog
from inference.benchmarks import MMLU_MEDICAL_SUBJECTS, load_benchmark


@pytest.fixture(scope="module")
def english(samples_dir):
    return samples_dir / "english"


def test_medqa_sample(english):
    qs = load_benchmark("medqa", english / "medqa" / "test.jsonl")
    assert len(qs) == 8
    first = qs[0]
    assert re.fullmatch(r"MedQA-1-[0-9a-f]{8}", first.id) and first.benchmark == "medqa" and first.language == "English"
    assert sorted(first.options) == ["A", "B", "C", "D"]
    assert first.gold_answer == ["C"] and first.options["C"] == "Right coronary artery"


def test_medmcqa_sample_uses_one_based_cop(english):
    qs = load_benchmark("medmcqa", english / "medmcqa" / "dev.json")
    assert len(qs) == 8
    assert qs[0].gold_answer == ["B"] and qs[0].options["B"] == "Axillary nerve"
    assert qs[3].gold_answer == ["D"] and qs[3].options["D"] == "Niacin"
    assert "deltoid" in qs[0].gold_rationale


def test_pubmedqa_sample_has_yes_no_maybe(english):
    qs = load_benchmark("pubmedqa", english / "pubmedqa" / "ori_pqal.json")
    assert len(qs) == 6
    assert all(q.options == {"A": "yes", "B": "no", "C": "maybe"} for q in qs)
    assert {q.gold_answer[0] for q in qs} == {"A", "B", "C"}
    assert qs[0].id == "PubMedQA-21645374" and qs[0].question.startswith("Context: ")


def test_mmlu_six_medical_subjects(english):
    qs = load_benchmark("mmlu", english / "mmlu")
    assert {q.benchmark for q in qs} == {f"mmlu/{s}" for s in MMLU_MEDICAL_SUBJECTS}
    assert len(qs) == 18
    anatomy = [q for q in qs if q.benchmark == "mmlu/anatomy"]
    assert anatomy[0].gold_answer == ["C"] and anatomy[0].options["C"] == "Abducens nerve"


@pytest.mark.parametrize(("name", "path", "where", "good", "bad"), [
    ("medqa", "medqa_bad.jsonl", "medqa_bad.jsonl:2", 2, 2),
    ("medmcqa", "medmcqa_bad.json", "medmcqa_bad.json:2", 1, 2),
    ("pubmedqa", "pubmedqa_ori_pqal.json", "pubmedqa_ori_pqal.json:30000002", 1, 2),
    ("mmlu", "mmlu/anatomy_test.csv", "anatomy_test.csv:2", 1, 2),
])
def test_malformed_records_error_with_location_or_are_logged(english, tmp_path, name, path, where, good, bad):
    src = english / "bad" / path
    with pytest.raises(BadRecordError, match=where.replace(".", r"\.")):
        load_benchmark(name, src)
    rejects = RejectLog(tmp_path / "rejects.jsonl")
    qs = load_benchmark(name, src, on_bad_record="skip", rejects=rejects)
    assert len(qs) == good
    assert rejects.count == bad
    rejects.close()
    assert (tmp_path / "rejects.jsonl").exists()


def test_missing_mmlu_subject_is_named(tmp_path):
    (tmp_path / "anatomy_test.csv").write_text("q,a,b,c,d,A\n", encoding="utf-8")
    with pytest.raises(FileNotFoundError, match="clinical_knowledge"):
        load_benchmark("mmlu", tmp_path)


def test_pubmedqa_test_split_by_ids_file(english, tmp_path):
    ids = tmp_path / "test_ground_truth.json"
    ids.write_text('{"18251357": "no", "25429730": "maybe"}', encoding="utf-8")
    qs = load_benchmark("pubmedqa", english / "pubmedqa" / "ori_pqal.json", pubmedqa_ids_file=ids)
    assert [q.id for q in qs] == ["PubMedQA-18251357", "PubMedQA-25429730"]
    ids.write_text('["99999999"]', encoding="utf-8")
    with pytest.raises(ValueError, match="99999999"):
        load_benchmark("pubmedqa", english / "pubmedqa" / "ori_pqal.json", pubmedqa_ids_file=ids)
