"""data_collection.web on the saved pages in samples/web (HTML in five languages, a WARC, broken pages)."""

from __future__ import annotations

import json
import shutil

import pytest

from common.cli import cli
from data_collection import web
from data_collection.documents import read_document_shard

PROG = "python -m data_collection.web"


def _manifest(out) -> dict:
    return json.loads((out / "manifest.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def run(tmp_path_factory, samples_dir):
    out = tmp_path_factory.mktemp("web")
    assert web.main(["--input", str(samples_dir / "web"), "--output", str(out)]) == 0
    counts = _manifest(out)["counts"]
    docs = read_document_shard(out / "documents" / "website-part-00000-of-00001.parquet")
    rejects = [json.loads(line) for line in (out / "rejects-00000-of-00001.jsonl").read_text().splitlines()]
    return {"out": out, "counts": counts, "docs": docs, "rejects": rejects}


def test_main_text_is_extracted_without_boilerplate(run):
    by_lang = {d["lang"]: d for d in run["docs"]}
    assert sorted(by_lang) == ["en", "es", "fr", "ja", "ru", "zh"]  # detected offline, none given
    asthma = by_lang["en"]
    assert "inhaled corticosteroid" in asthma["text"]
    assert "Donate" not in asthma["text"] and "editorial board" not in asthma["text"]
    assert "ログイン" not in by_lang["ja"]["text"] and "降圧薬" in by_lang["ja"]["text"]
    assert asthma["meta"]["title"] == "Asthma"
    assert asthma["meta"]["url"] == "https://health-encyclopedia.example.org/conditions/asthma"
    assert {d["source"] for d in run["docs"]} == {"website"}


def test_warc_records_keep_their_url(run):
    ru = next(d for d in run["docs"] if d["lang"] == "ru")
    assert ru["meta"]["url"] == "https://med-encyclopedia.example.ru/bolezni/pnevmoniya"
    assert ru["meta"]["file"].startswith("pages.warc.gz#")


def test_empty_broken_and_non_html_pages_are_counted_and_logged(run):
    reasons = {r["where"].split("#")[0] if "#" not in r["where"] else r["raw"]: r["reason"] for r in run["rejects"]}
    assert "too short" in reasons["broken_empty.html"]
    assert "no main text" in reasons["empty.html"]
    assert "no main text" in reasons["https://med-encyclopedia.example.ru/broken"]
    assert "not an HTML response" in reasons["https://med-encyclopedia.example.ru/logo.png"]
    c = run["counts"]  # every page is kept or rejected (the PNG response is one of the pages in)
    assert (c["pages_in"], c["kept"], c["rejected"], c["too_short"], c["no_main_text"], c["not_html"]) == (
        10, 6, 4, 1, 2, 1)


def test_ids_are_stable_and_rerun_skips_the_done_files(run, tmp_path, samples_dir):
    copy = tmp_path / "elsewhere"
    shutil.copytree(samples_dir / "web", copy)
    web.main(["--input", str(copy), "--output", str(tmp_path / "out")])
    again = read_document_shard(tmp_path / "out" / "documents" / "website-part-00000-of-00001.parquet")
    assert sorted(d["id"] for d in again) == sorted(d["id"] for d in run["docs"])
    assert web.main(["--input", str(copy), "--output", str(tmp_path / "out")]) == 0
    counts = _manifest(tmp_path / "out")["counts"]
    assert counts["units_skipped_done"] == 7 and counts["units_done"] == 0 and counts["kept"] == 6


def test_given_language_and_length_threshold(tmp_path, samples_dir):
    assert web.main(["--input", str(samples_dir / "web" / "fr_actualite_grippe.html"), "--lang", "fr",
                     "--min_chars", "5000", "--output", str(tmp_path)]) == 0
    counts = _manifest(tmp_path)["counts"]
    assert counts["kept"] == 0 and counts["too_short"] == 1


def test_unreadable_warc_goes_to_the_errors_file_and_the_others_are_converted(run, tmp_path, samples_dir):
    src = tmp_path / "in"
    shutil.copytree(samples_dir / "web", src)
    (src / "bad.warc.gz").write_bytes(b"\x1f\x8b\x08\x00" + bytes(range(256)) * 2)  # gzip magic, then garbage
    out = tmp_path / "out"
    assert cli(web.main, PROG, ["--input", str(src), "--output", str(out)]) == 1
    errors = [json.loads(line) for line in (out / "errors.jsonl").read_text().splitlines()]
    assert [e["unit"] for e in errors] == ["bad.warc.gz"] and "not a complete gzip file" in errors[0]["error"]
    docs = read_document_shard(out / "documents" / "website-part-00000-of-00001.parquet")
    assert sorted(d["id"] for d in docs) == sorted(d["id"] for d in run["docs"])  # every other page converted
    (src / "bad.warc.gz").unlink()  # fixed: the rerun succeeds, the other files are not converted again
    assert cli(web.main, PROG, ["--input", str(src), "--output", str(out)]) == 0
    assert not (out / "errors.jsonl").exists() and _manifest(out)["counts"]["units_skipped_done"] == 7
