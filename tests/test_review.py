"""Review sheets: sampling sentences per language and scoring filled sheets with a confidence interval."""

from __future__ import annotations

import csv

import pytest

from data_collection.documents import write_document_shard
from data_collection.review import main, wilson_interval


def test_sample_then_score(tmp_path, capsys):
    corpus = tmp_path / "corpus"
    en = [{"id": f"e{i}", "text": f"Sentence number {i} about insulin therapy. Another sentence {i} on asthma care.",
           "lang": "en", "source": "web", "meta": {}} for i in range(30)]
    zh = [{"id": f"z{i}", "text": f"第{i}个句子讲的是糖尿病患者的胰岛素治疗方案和血糖监测。另一个句子讲的是哮喘。",
           "lang": "zh", "source": "textbook", "meta": {}} for i in range(10)]
    write_document_shard(corpus / "en" / "part-00000.parquet", en)
    write_document_shard(corpus / "zh" / "part-00000.parquet", zh)
    sheets = tmp_path / "review"
    assert main(["sample", "--corpus", str(corpus), "--output", str(sheets), "--per_language", "20",
                 "--min_sentence_chars", "10"]) == 0
    rows = list(csv.DictReader(open(sheets / "review_en.csv", encoding="utf-8")))
    assert len(rows) == 20 and all(r["is_medical"] == "" for r in rows) and rows[0]["doc_id"].startswith("e")
    assert len(list(csv.DictReader(open(sheets / "review_zh.csv", encoding="utf-8")))) == 20
    # same seed, same sheet
    again = tmp_path / "again"
    main(["sample", "--corpus", str(corpus), "--output", str(again), "--per_language", "20",
          "--min_sentence_chars", "10"])
    assert (again / "review_en.csv").read_text() == (sheets / "review_en.csv").read_text()
    # a reviewer marks 18 medical, 1 not, leaves 1 blank
    for i, r in enumerate(rows):
        r["is_medical"] = "" if i == 0 else ("0" if i == 1 else "yes")
    with open(sheets / "review_en.csv", "w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    capsys.readouterr()
    assert main(["score", "--sheets", str(sheets / "review_en.csv")]) == 0
    out = capsys.readouterr().out
    assert "| en | 19 | 18 | 94.7 |" in out and "| 1 |" in out


def test_bad_mark_names_file_and_row(tmp_path):
    sheet = tmp_path / "s.csv"
    sheet.write_text("item,lang,source,doc_id,sentence,is_medical\nen-1,en,web,d,x,maybe\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"s.csv:2: is_medical"):
        main(["score", "--sheets", str(sheet)])


def test_wilson_interval():
    lo, hi = wilson_interval(98, 100)
    assert 0.92 < lo < 0.95 and 0.99 < hi <= 1.0
    assert wilson_interval(0, 0) == (0.0, 1.0)
