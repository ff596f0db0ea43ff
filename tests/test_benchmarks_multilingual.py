"""Multilingual benchmark loaders on samples in each published format, and their one-line errors."""

from __future__ import annotations

import json
import re

import pytest

from common.records import BadRecordError, RejectLog
from inference.benchmarks import load_benchmark
from inference.multilingual_benchmarks import available_languages, load_language
from inference.parse import parse_lenient, parse_strict


@pytest.fixture(scope="module")
def bench(samples_dir):
    return samples_dir / "benchmarks"


def test_xmedbench_options_string_and_bracketed_answer(bench):
    qs = load_language("xmedbench", bench / "xmedbench", "zh")
    assert [q.language for q in qs] == ["Chinese"] * 3
    assert qs[1].options == {"A": "维生素A", "B": "维生素B12", "C": "维生素C", "D": "维生素D"}
    assert qs[1].gold_answer == ["C"] and qs[1].benchmark == "xmedbench"
    assert sorted(available_languages("xmedbench", bench / "xmedbench")) == ["ar", "en", "es", "fr", "hi", "zh"]


def test_xmedbench_json_lines_copy_reads_the_same(bench, tmp_path):
    rows = json.loads((bench / "xmedbench" / "test" / "fr.json").read_text(encoding="utf-8"))
    (tmp_path / "fr.json").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows),
                                      encoding="utf-8")
    listed = load_language("xmedbench", bench / "xmedbench", "fr")
    lines = load_language("xmedbench", tmp_path, "fr")
    assert [(q.question, q.options, q.gold_answer) for q in lines] == [(q.question, q.options, q.gold_answer) for q in listed]
    assert lines[1].where.endswith("fr.json:2")


def test_medexpqa_numbered_options_and_doctors_explanation(bench):
    qs = load_language("medexpqa", bench / "medexpqa", "it")
    (q,) = qs
    assert q.language == "Italian" and sorted(q.options) == ["A", "B", "C", "D"]  # the null 5th option is dropped
    assert q.gold_answer == ["A"] and q.options["A"] == "Adrenalina intramuscolare"
    assert q.gold_rationale.startswith("L'adrenalina è il primo") and q.human_check_passed


def test_kormedmcqa_integer_answer_and_exams(bench):
    qs = load_benchmark("kormedmcqa", bench / "kormedmcqa")
    assert {q.benchmark for q in qs} == {"kormedmcqa/doctor", "kormedmcqa/nurse", "kormedmcqa/pharm",
                                         "kormedmcqa/dentist"}
    scurvy = next(q for q in qs if "괴혈병" in q.question)
    assert scurvy.gold_answer == ["C"] and scurvy.options["C"] == "비타민 C" and scurvy.language == "Korean"
    assert len(load_benchmark("kormedmcqa:ko:nurse", bench / "kormedmcqa")) == 1


def test_global_mmlu_keeps_medical_subjects_only(bench):
    qs = load_language("global_mmlu", bench / "global_mmlu", "de")
    assert [q.benchmark for q in qs] == ["global_mmlu/anatomy", "global_mmlu/clinical_knowledge"]
    assert qs[0].gold_answer == ["C"] and qs[0].options["C"] == "Nervus abducens"
    assert [q.benchmark for q in load_benchmark("global_mmlu:de:astronomy", bench / "global_mmlu")] == [
        "global_mmlu/astronomy"]


def test_mmlu_prox_ten_options_and_health_category(bench):
    qs = load_language("mmlu_prox", bench / "mmlu_prox", "en")
    assert len(qs) == 2 and all(q.benchmark == "mmlu_prox/health" for q in qs)  # the law question is not kept
    assert list(qs[0].options) == list("ABCDEFGHIJ")
    assert sorted(qs[1].options) == list("ABCDEFGH") and qs[1].gold_answer == ["H"]  # None options are absent


def test_ten_option_answers_are_read_and_never_outside_the_options(bench):
    q = load_language("mmlu_prox", bench / "mmlu_prox", "en")[1]  # options A-H
    assert parse_strict("###Answer: OPTION H IS CORRECT.", q.options).letters == ("H",)
    assert parse_lenient("The answer is H.", q.options).letters == ("H",)
    assert parse_lenient("###Answer: OPTION J IS CORRECT.", q.options).letters is None  # J is not an option here


def test_ids_are_content_digests(bench, tmp_path):
    first = load_language("xmedbench", bench / "xmedbench", "en")
    moved = tmp_path / "test"
    moved.mkdir()
    rows = json.loads((bench / "xmedbench" / "test" / "en.json").read_text(encoding="utf-8"))
    (moved / "en.json").write_text(json.dumps(rows[::-1], ensure_ascii=False), encoding="utf-8")
    again = load_language("xmedbench", tmp_path, "en")
    key = {q.question: q.id.rsplit("-", 1)[1] for q in first}
    assert {q.question: q.id.rsplit("-", 1)[1] for q in again} == key


@pytest.mark.parametrize(("name", "where", "reason"), [
    ("xmedbench", "en.json:8", "'(E)' is not among the options"),
    ("medexpqa", "test.en.casimedicos.rag.jsonl:2", "7 is not among the options"),
    ("kormedmcqa", "test-00000-of-00001.parquet:row 2", "must be an option number 1..5"),
])
def test_bad_record_names_file_and_line_or_is_counted(bench, tmp_path, name, where, reason):
    with pytest.raises(BadRecordError, match=re.escape(where) + ": .*" + re.escape(reason)):
        load_benchmark(name, bench / "bad" / name)
    rejects = RejectLog(tmp_path / "rejects.jsonl")
    kept = load_benchmark(name, bench / "bad" / name, on_bad_record="skip", rejects=rejects)
    rejects.close()
    assert len(kept) == 1 and rejects.count == 1


def test_missing_language_file_is_one_line_naming_the_path(bench):
    with pytest.raises(FileNotFoundError, match=r"xmedbench: no file for language ko: expected .*test/ko\.json"):
        load_benchmark("xmedbench:ko", bench / "xmedbench")


def test_tiny_model_tokenizer_does_not_train_on_benchmark_samples(samples_dir):
    from common.tiny_model import iter_sample_texts

    texts = list(iter_sample_texts(samples_dir))
    assert any("Which of the following" in t or "###" in t for t in texts)  # the other samples are read
    assert not any("괴혈병" in t or "अग्न्याशय" in t for t in texts)  # these appear only in samples/benchmarks
