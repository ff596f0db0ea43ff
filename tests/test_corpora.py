"""data_collection.corpora on samples/corpora: WikiExtractor JSON, Baidu Baike JSON lines, UFAL TSV."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from common.cli import cli
from data_collection import corpora
from data_collection.documents import read_document_shard

PROG = "python -m data_collection.corpora"


def _counts(argv: list[str]) -> dict:
    """Run the command (exit 0) and return the counts of its manifest."""
    assert corpora.main(argv) == 0
    out = argv[argv.index("--output") + 1]
    return json.loads((Path(out) / "manifest.json").read_text(encoding="utf-8"))["counts"]


def _docs(out):
    return [d for p in sorted((out / "documents").glob("*.parquet")) for d in read_document_shard(p)]


def _rejects(out):
    return [json.loads(line) for p in sorted((out / "rejects").glob("*.jsonl")) for line in p.read_text().splitlines()]


@pytest.mark.parametrize("lang,kept", [("en", {"Type 2 diabetes", "Pneumonia"}), ("fr", {"Hypertension artérielle"}),
                                       ("zh", {"高血压"})])
def test_wikipedia_keeps_medical_articles_by_keyword_filter(tmp_path, samples_dir, lang, kept):
    counts = _counts(["wikipedia", "--input", str(samples_dir / "corpora" / "wikipedia" / lang),
                      "--lang", lang, "--output", str(tmp_path)])
    docs = _docs(tmp_path)
    assert {d["meta"]["title"] for d in docs} == kept
    assert all(d["source"] == "wikipedia" and d["lang"] == lang and d["mkc"] >= 4 for d in docs)
    assert counts["rejected"] == 1 and counts["not_medical"] >= 1
    assert _rejects(tmp_path)[0]["where"] == "AA/wiki_00:3"


def test_wikipedia_title_list_and_categories(tmp_path, samples_dir):
    titles = tmp_path / "titles.txt"
    titles.write_text("Chess\nCategory:Respiratory diseases\n", encoding="utf-8")
    src = tmp_path / "in" / "wiki_00"
    src.parent.mkdir()
    lines = (samples_dir / "corpora" / "wikipedia" / "en" / "AA" / "wiki_00").read_text().splitlines()
    recs = [json.loads(line) for line in lines if line.endswith("}")]
    recs[2]["categories"] = ["Category:Respiratory diseases"]  # Pneumonia
    src.write_text("".join(json.dumps(r) + "\n" for r in recs), encoding="utf-8")
    corpora.main(["wikipedia", "--input", str(src.parent), "--lang", "en", "--select", "titles",
                  "--titles_file", str(titles), "--output", str(tmp_path / "out")])
    assert {d["meta"]["title"] for d in _docs(tmp_path / "out")} == {"Chess", "Pneumonia"}


def test_malformed_line_fails_its_file_with_file_and_line_when_asked(tmp_path, samples_dir):
    assert corpora.main(["wikipedia", "--input", str(samples_dir / "corpora" / "wikipedia" / "en"), "--lang", "en",
                         "--on_bad_record", "error", "--output", str(tmp_path)]) == 1
    errors = [json.loads(line) for line in (tmp_path / "errors.jsonl").read_text().splitlines()]
    assert [e["unit"] for e in errors] == ["AA/wiki_00"] and errors[0]["error"].startswith("AA/wiki_00:3: ")
    assert not _docs(tmp_path)  # the failed file wrote nothing half-way


def test_baike_joins_sections_and_filters_medical_entries(tmp_path, samples_dir):
    counts = _counts(["baike", "--input", str(samples_dir / "corpora" / "baike"), "--output", str(tmp_path)])
    docs = {d["meta"]["title"]: d for d in _docs(tmp_path)}
    assert set(docs) == {"糖尿病", "肺炎"}  # 故宫 is not medical
    text = docs["糖尿病"]["text"]
    assert text.index("糖尿病是一组") < text.index("临床表现") < text.index("二甲双胍")
    assert docs["糖尿病"]["lang"] == "zh" and docs["糖尿病"]["source"] == "baike"
    assert counts["rejected"] == 1 and "sections" in _rejects(tmp_path)[0]["reason"]


def test_ufal_takes_the_wanted_side_and_skips_bad_rows(tmp_path, samples_dir):
    counts = _counts(["ufal", "--input", str(samples_dir / "corpora" / "ufal"), "--lang", "fr",
                      "--output", str(tmp_path)])
    docs = _docs(tmp_path)
    assert len(docs) == 1 and docs[0]["lang"] == "fr" and docs[0]["source"] == "ufal"
    sentences = docs[0]["text"].split("\n")
    assert sentences[0] == "Le paracétamol est utilisé pour traiter la douleur et la fièvre."
    assert "Le Parlement a adopté la résolution." not in sentences  # general-domain row
    assert len(sentences) == len(set(sentences)) == 5  # one repeated sentence dropped
    assert counts["files_without_lang"] == 1  # shuffled.es-en.gz has no French side
    assert counts["rejected"] == 1 and _rejects(tmp_path)[0]["where"] == "shuffled.fr-en:4"


def test_ufal_english_side_reads_gzip_and_groups_documents(tmp_path, samples_dir):
    args = ["ufal", "--input", str(samples_dir / "corpora" / "ufal"), "--lang", "en", "--ufal_doc_chars", "100",
            "--output", str(tmp_path)]
    counts = _counts(args)
    docs = _docs(tmp_path)
    assert all(d["lang"] == "en" for d in docs) and len(docs) >= 4
    assert any("Insulin treatment requires blood glucose monitoring." in d["text"] for d in docs)
    assert counts["rejected"] == 2  # one malformed row per file
    # rerun: every input is done, nothing is rewritten or duplicated
    again = _counts(args)
    assert again["units_skipped_done"] == 2 and again["units_done"] == 0
    assert sorted(d["id"] for d in _docs(tmp_path)) == sorted(d["id"] for d in docs)


def test_missing_language_is_a_clear_error(tmp_path, samples_dir):
    with pytest.raises(ValueError, match="^command line: --lang: ufal needs it"):
        corpora.main(["ufal", "--input", str(samples_dir / "corpora" / "ufal"), "--output", str(tmp_path)])


def test_truncated_gzip_goes_to_the_errors_file_and_the_others_are_converted(tmp_path, samples_dir, capsys,
                                                                              repo_root):
    import shutil
    import subprocess
    import sys

    src = tmp_path / "in"
    shutil.copytree(samples_dir / "corpora" / "ufal", src)
    good = (src / "shuffled.es-en.gz").read_bytes()
    (src / "shuffled.de-en.gz").write_bytes(good[:len(good) // 2])  # cut off mid-stream
    args = ["ufal", "--input", str(src), "--lang", "en", "--output", str(tmp_path / "out")]
    assert cli(corpora.main, PROG, args) == 1
    errors = [json.loads(line) for line in (tmp_path / "out" / "errors.jsonl").read_text().splitlines()]
    assert [e["unit"] for e in errors] == ["shuffled.de-en.gz"] and errors[0]["type"] == "EOFError"
    assert {d["meta"]["file"] for d in _docs(tmp_path / "out")} == {"shuffled.es-en.gz", "shuffled.fr-en"}
    assert "1 failed" in capsys.readouterr().out  # the summary is printed
    proc = subprocess.run([sys.executable, "-m", "data_collection.corpora", *args], capture_output=True, text=True,
                          cwd=repo_root)
    assert proc.returncode == 1 and "shuffled.de-en.gz: failed: " in proc.stderr, proc.stderr
    (src / "shuffled.de-en.gz").unlink()
    assert cli(corpora.main, PROG, args) == 0 and not (tmp_path / "out" / "errors.jsonl").exists()
