"""data_collection.ocr on PDFs generated here with PyMuPDF: typeset, scanned (image only), mixed, encrypted, truncated.

The OCR run (RapidOCR, 2 image pages) happens once per module; the tests read its outputs.
"""

from __future__ import annotations

import json
import sys
import types
from pathlib import Path

import numpy as np
import pymupdf
import pytest
from sample_pdf_maker import samples

from common.cli import cli
from data_collection import ocr
from data_collection.documents import read_document_shard
from data_collection.sources.ocr_backends import (
    BackendOptions,
    OcrBackendError,
    PaddleOcrBackend,
    resolve_backend,
)
from data_collection.sources.ocr_quality import char_error_rate
from data_collection.sources.pdf_pages import PageRule, is_text_page, pages_to_read

REPO = Path(__file__).resolve().parent.parent
PROG = "python -m data_collection.ocr"


def _counts(out: Path) -> dict:
    return json.loads((out / "manifest.json").read_text(encoding="utf-8"))["counts"]


def _errors(out: Path) -> dict[str, dict]:
    return {e["unit"]: e for e in map(json.loads, (out / "errors.jsonl").read_text().splitlines())}




def _cjk(text: str) -> str:
    return "".join(ch for ch in text if "\u4e00" <= ch <= "\u9fff")


def _latin(text: str) -> str:
    return "".join(ch for ch in text if ch.isascii())


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    root = tmp_path_factory.mktemp("ocr")
    pdfs = samples.make_sample_pdfs(root / "pdfs")
    out = root / "out"
    # English books with Chinese lines on a scanned page: RapidOCR's PP-OCRv4 model reads both scripts
    assert ocr.main(["--input", str(root / "pdfs"), "--output", str(out), "--dpi", "200",
                     "--backend", "rapidocr"]) == 1  # 2 bad PDFs
    counts = _counts(out)
    books = {json.loads(p.read_text("utf-8"))["pdf_filename"]: json.loads(p.read_text("utf-8"))
             for p in (out / "books").glob("*.json")}
    return {"root": root, "pdfs": pdfs, "out": out, "counts": counts, "books": books}


def test_pages_are_classified_text_or_ocr_per_page(run):
    methods = {name: [p["method"] for p in book["pages"]] for name, book in run["books"].items()}
    assert methods == {"text.pdf": ["text", "text"], "scanned.pdf": ["ocr"], "mixed.pdf": ["text", "ocr"]}
    assert run["books"]["mixed.pdf"]["page_num"] == [1, 2]
    assert run["books"]["scanned.pdf"]["pages"][0]["mean_confidence"] > 0.8
    assert run["counts"]["pages_text"] == 3 and run["counts"]["pages_ocr"] == 2


def test_ocr_text_matches_source_within_5_percent_cer(run):
    page = run["books"]["scanned.pdf"]["text_list"][0]
    source = "\n".join(samples.SCANNED_TEXT)
    assert char_error_rate(_cjk(page), _cjk(source)) <= 0.05
    assert char_error_rate(_latin(page), _latin(source)) <= 0.05
    mixed = run["books"]["mixed.pdf"]["text_list"][1]
    assert char_error_rate(mixed, "\n".join(samples.MIXED_SCAN_TEXT)) <= 0.05


def test_ocr_keeps_reading_order_and_joins_hyphenated_lines(run):
    page = run["books"]["scanned.pdf"]["text_list"][0]
    marks = ["Chapter 3", "Hypertension", "cardiovascular system", "高血压", "糖尿病", "Left column",
             "glucose level", "Right column", "heart attack"]
    positions = [page.find(m) for m in marks]
    assert -1 not in positions, page
    assert positions == sorted(positions), page
    # paragraphs: title, English paragraph, Chinese paragraph, left column, right column
    assert len(page.split("\n\n")) == 5


def test_typeset_text_is_read_from_the_pdf(run):
    text = run["books"]["text.pdf"]["text_list"][0]
    assert text.startswith("Chapter 1 Introduction to Internal Medicine")
    assert "Laboratory tests and imaging" in text  # lines of a block are one paragraph


def test_bad_files_go_to_the_errors_file_and_the_others_succeed(run):
    reasons = {name: e["error"] for name, e in _errors(run["out"]).items()}
    assert set(reasons) == {"encrypted.pdf", "truncated.pdf"}
    assert "encrypted" in reasons["encrypted.pdf"] and "corrupt" in reasons["truncated.pdf"]
    docs = read_document_shard(run["out"] / "documents" / "textbook-en-part-00000-of-00001.parquet")
    assert sorted(d["meta"]["book"] for d in docs) == ["mixed.pdf", "scanned.pdf", "text.pdf"]
    assert {d["source"] for d in docs} == {"textbook"} and {d["lang"] for d in docs} == {"en"}
    assert next(d for d in docs if d["meta"]["book"] == "mixed.pdf")["meta"]["pages"] == [1, 2]
    manifest = json.loads((run["out"] / "manifest.json").read_text())
    assert manifest["counts"]["units_failed"] == 2 and manifest["counts"]["documents"] == 3
    assert sorted(manifest["failed_units"]) == ["encrypted.pdf", "truncated.pdf"]


def test_rerun_skips_finished_books_and_redoes_missing_ones(run, tmp_path):
    out = run["out"]
    book_files = sorted((out / "books").glob("*.json"))
    mtimes = {p: p.stat().st_mtime_ns for p in book_files}
    text_json = next(p for p in book_files if p.name.startswith("text-"))
    text_json.unlink()
    assert ocr.main(["--input", str(run["root"] / "pdfs"), "--output", str(out), "--backend", "rapidocr"]) == 1
    counts = _counts(out)
    assert counts["units_skipped_done"] == 2 and counts["units_done"] == 1 and counts["units_failed"] == 2
    for p, mtime in mtimes.items():
        if p != text_json:
            assert p.stat().st_mtime_ns == mtime  # not rewritten
    docs = read_document_shard(out / "documents" / "textbook-en-part-00000-of-00001.parquet")
    assert len(docs) == len({d["id"] for d in docs}) == 3


def _text_book(path: Path, pages: int) -> Path:
    doc = pymupdf.open()
    for i in range(pages):
        page = doc.new_page(width=300, height=300)
        page.insert_text((20, 40), f"Page {i + 1}: the patient presented with fever, cough and chest pain for three days.",
                         fontsize=8)
    doc.save(path)
    return path


def test_long_books_skip_front_and_back_matter(tmp_path):
    _text_book(tmp_path / "long.pdf", 60)
    _text_book(tmp_path / "short.pdf", 12)
    assert ocr.main(["--input", f"{tmp_path / 'long.pdf'},{tmp_path / 'short.pdf'}",
                     "--output", str(tmp_path / "out"), "--doc_unit", "book"]) == 0
    assert _counts(tmp_path / "out")["pages_text"] == 40 + 12
    books = {json.loads(p.read_text())["pdf_filename"]: json.loads(p.read_text())
             for p in (tmp_path / "out" / "books").glob("*.json")}
    assert books["long.pdf"]["page_num"] == list(range(11, 51))
    assert books["long.pdf"]["skipped_pages"] == list(range(1, 11)) + list(range(51, 61))
    assert books["short.pdf"]["page_num"] == list(range(1, 13))
    assert pages_to_read(60, PageRule(long_book_pages=50, skip_first=5, skip_last=2)) == list(range(5, 58))


def test_shards_split_books_between_array_tasks(tmp_path, monkeypatch):
    (tmp_path / "in").mkdir()
    names = [f"{name}.pdf" for name in "abcdef"]
    for name in names:
        _text_book(tmp_path / "in" / name, 1)
    monkeypatch.setenv("SLURM_ARRAY_TASK_COUNT", "2")
    seen = []
    for task in ("0", "1"):
        monkeypatch.setenv("SLURM_ARRAY_TASK_ID", task)
        assert ocr.main(["--input", str(tmp_path / "in"), "--output", str(tmp_path / "out")]) == 0
        shard = tmp_path / "out" / "documents" / f"textbook-en-part-0000{task}-of-00002.parquet"
        seen.append(sorted(d["meta"]["book"] for d in read_document_shard(shard)))
    assert sorted(seen[0] + seen[1]) == names and seen[0] and seen[1]  # each book in one task, both tasks work


def test_symbol_soup_text_layer_is_not_text_based():
    rule = PageRule(min_chars=50, min_alnum_ratio=0.5)
    assert not is_text_page("•" * 40 + " -- §§ ..." * 10, rule)
    assert not is_text_page("too short", rule)
    assert is_text_page("高血压是一种常见的慢性疾病，糖尿病患者需要定期监测血糖。" * 3, rule)


def test_backend_language_errors_are_explicit():
    with pytest.raises(OcrBackendError, match="--backend auto"):
        resolve_backend("rapidocr", "ru")
    with pytest.raises(OcrBackendError, match="models from disk only"):
        resolve_backend("paddleocr", "ru")  # it would download them: never
    with pytest.raises(OcrBackendError, match="not found"):
        resolve_backend("paddleocr", "fr", BackendOptions(paddle_rec_model_dir="/nonexistent/rec"))
    with pytest.raises(OcrBackendError, match="unknown OCR backend 'easyocr'"):
        resolve_backend("easyocr", "en")


def test_paddleocr_backend_maps_languages_and_reads_2x_results(monkeypatch):
    made = {}

    class FakePaddleOCR:
        def __init__(self, **kwargs):
            made.update(kwargs)

        def ocr(self, image, cls=True):
            return [[([[0, 0], [50, 0], [50, 10], [0, 10]], ("Бронхит", 0.97))]]

    monkeypatch.setitem(sys.modules, "paddleocr", types.SimpleNamespace(PaddleOCR=FakePaddleOCR, __version__="2.7.3"))
    opts = BackendOptions(paddle_det_model_dir="/models/det", paddle_rec_model_dir="/models/rec")
    backend = PaddleOcrBackend("ru", opts)
    boxes = backend.recognise(np.zeros((20, 60, 3), dtype=np.uint8))
    assert made["lang"] == "ru" and boxes[0].text == "Бронхит" and boxes[0].x1 == 50
    assert made["det_model_dir"] == "/models/det" and made["use_angle_cls"] is False  # no classifier to download
    PaddleOcrBackend("es", opts)
    assert made["lang"] == "es"
    PaddleOcrBackend("ja", opts)
    assert made["lang"] == "japan"


def test_help_lists_fields(capsys):
    with pytest.raises(SystemExit):
        ocr.main(["--help"])
    text = capsys.readouterr().out
    for name in ("--input", "--backend", "--dpi", "--num_proc", "--shard_index", "--min_alnum_ratio"):
        assert name in text


def test_low_confidence_boxes_are_dropped_and_counted(tmp_path, monkeypatch):
    from data_collection.sources.reading_order import Box

    class FakeBackend:
        name = "fake"
        lays_out = False

        def recognise(self, image, dpi=0):
            return [Box(10, 10, 200, 30, "Insulin lowers blood glucose.", 0.97),
                    Box(10, 60, 200, 80, "#~%&", 0.21)]

    monkeypatch.setattr(ocr, "get_backend", lambda *args, **kwargs: FakeBackend())
    doc = pymupdf.open()
    doc.new_page(width=200, height=200)  # blank: no text layer, so it is OCR'd
    doc.save(tmp_path / "blank.pdf")
    assert ocr.main(["--input", str(tmp_path / "blank.pdf"), "--output", str(tmp_path / "out"),
                     "--min_confidence", "0.5"]) == 0
    counts = _counts(tmp_path / "out")
    book = json.loads(next((tmp_path / "out" / "books").glob("*.json")).read_text())
    assert book["text_list"] == ["Insulin lowers blood glucose."]
    assert book["pages"][0]["dropped_boxes"] == 1 and book["pages"][0]["mean_confidence"] == 0.97
    assert counts["ocr_boxes_dropped_low_confidence"] == 1


def test_empty_and_non_pdf_files_are_errors_with_reasons(tmp_path):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "empty.pdf").write_bytes(b"")
    (tmp_path / "in" / "notes.pdf").write_text("these are not PDF bytes", encoding="utf-8")
    _text_book(tmp_path / "in" / "good.pdf", 1)
    assert ocr.main(["--input", str(tmp_path / "in"), "--output", str(tmp_path / "out")]) == 1
    errors = _errors(tmp_path / "out")
    assert {name: e["error"].split(" ")[0] for name, e in errors.items()} == {"empty.pdf": "empty",
                                                                              "notes.pdf": "corrupt"}
    counts = _counts(tmp_path / "out")
    assert counts["units_done"] == 1 and counts["documents"] == 1


def test_command_exits_1_when_a_book_failed_after_finishing_the_others(run, tmp_path, monkeypatch, capsys):
    import shutil

    (tmp_path / "in").mkdir()
    shutil.copy(run["pdfs"]["encrypted"], tmp_path / "in" / "encrypted.pdf")
    _text_book(tmp_path / "in" / "good.pdf", 1)
    _text_book(tmp_path / "in" / "crash.pdf", 1)
    real_read_book = ocr.read_book

    def read_book(path, rel, cfg):  # what MuPDF raises on some damaged files (not a PdfError)
        if path.name == "crash.pdf":
            raise RuntimeError("MuPDF error: format error: cannot find page tree")
        return real_read_book(path, rel, cfg)

    monkeypatch.setattr(ocr, "read_book", read_book)
    out = tmp_path / "out"
    assert cli(ocr.main, PROG, ["--input", str(tmp_path / "in"), "--output", str(out)]) == 1
    errors = _errors(out)
    assert set(errors) == {"encrypted.pdf", "crash.pdf"}
    assert errors["crash.pdf"]["error"] == "MuPDF error: format error: cannot find page tree"
    assert errors["crash.pdf"]["type"] == "RuntimeError"
    docs = read_document_shard(out / "documents" / "textbook-en-part-00000-of-00001.parquet")
    assert [d["meta"]["book"] for d in docs] == ["good.pdf"]
    assert "failed 2" in capsys.readouterr().out  # the summary is still printed
    assert cli(ocr.main, PROG, ["--input", str(tmp_path / "in" / "good.pdf"), "--output", str(tmp_path / "ok")]) == 0


def test_python_m_exit_status_is_nonzero_when_a_book_failed(run, tmp_path):
    import subprocess

    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "encrypted.pdf").write_bytes(run["pdfs"]["encrypted"].read_bytes())
    _text_book(tmp_path / "in" / "good.pdf", 1)
    proc = subprocess.run([sys.executable, "-m", "data_collection.ocr", "--input", str(tmp_path / "in"),
                           "--output", str(tmp_path / "out")], cwd=REPO, capture_output=True, text=True)
    assert proc.returncode == 1, proc.stderr
    assert "read now 1" in proc.stdout and "failed 1" in proc.stdout
    assert "encrypted.pdf: failed: encrypted" in proc.stderr and "Traceback" not in proc.stderr
