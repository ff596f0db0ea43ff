"""Scanned pages in every corpus language, read by `python -m data_collection.ocr` with no backend flag.

The pages are medical texts typeset with PyMuPDF's bundled fonts and scanned at 150 dpi (scripts/make_sample_pdfs.py);
the real engines read them (RapidOCR for zh, Tesseract from the Debian packages for the others).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from sample_pdf_maker import samples

from data_collection import ocr
from data_collection.documents import read_document_shard
from data_collection.sources.ocr_backends import AUTO, BackendOptions, OcrBackendError, resolve_backend
from data_collection.sources.ocr_quality import char_error_rate

REPO = Path(__file__).resolve().parent.parent




def read_scan(tmp_path: Path, pdf: Path, lang: str, *flags: str) -> dict:
    """Run the command on one scanned page; the book JSON it wrote."""
    out = tmp_path / f"out-{lang}"
    ocr.main(["--input", str(pdf), "--lang", lang, "--output", str(out), *flags])
    return json.loads(next((out / "books").glob("*.json")).read_text("utf-8"))


@pytest.mark.slow
@pytest.mark.parametrize("lang", ["en", "zh", "ja", "fr", "ru", "es", "de", "ar"])
def test_auto_reads_every_language_within_5_percent_cer_at_150_dpi(tmp_path, lang):
    pdf = samples.make_language_scan(tmp_path / f"{lang}.pdf", lang, "clean-150")
    book = read_scan(tmp_path, pdf, lang)
    assert book["backend"] == AUTO[lang][0]  # the book records the engine that read it
    assert book["pages"][0]["method"] == "ocr"
    text = book["text_list"][0]
    assert char_error_rate(text, samples.language_reference(lang)) <= 0.05, text
    docs = read_document_shard(tmp_path / f"out-{lang}" / "documents" / f"textbook-{lang}-part-00000-of-00001.parquet")
    assert [d["lang"] for d in docs] == [lang]


@pytest.mark.slow
def test_skewed_scan_is_straightened_before_ocr(tmp_path):
    pdf = samples.make_language_scan(tmp_path / "ru.pdf", "ru", "skewed-150")
    book = read_scan(tmp_path, pdf, "ru")
    assert abs(book["pages"][0]["skew_degrees"] - 2.0) <= 0.2
    assert char_error_rate(book["text_list"][0], samples.language_reference("ru")) <= 0.05
    # the same page without straightening: words of neighbouring lines interleave
    unturned = read_scan(tmp_path / "raw", pdf, "ru", "--max_skew", "0")
    assert char_error_rate(unturned["text_list"][0], samples.language_reference("ru")) > 0.3


@pytest.mark.slow
def test_vertical_japanese_reads_columns_right_to_left(tmp_path):
    pdf = samples.make_vertical_ja_scan(tmp_path / "tategaki.pdf")
    book = read_scan(tmp_path, pdf, "ja", "--vertical", "true")
    assert book["backend"] == "tesseract" and book["vertical"] is True
    assert char_error_rate(book["text_list"][0], "".join(samples.VERTICAL_JA_COLUMNS)) <= 0.05


def test_missing_engine_or_language_pack_names_the_install_command(tmp_path):
    opts = BackendOptions(tesseract_cmd=str(tmp_path / "no-tesseract"))
    with pytest.raises(OcrBackendError, match="apt-get install -y tesseract-ocr tesseract-ocr-rus"):
        resolve_backend("auto", "ru", opts)
    tessdata = tmp_path / "tessdata"  # a data folder holding English only
    tessdata.mkdir()
    eng = Path(shutil.which("tesseract")).resolve().parent.parent / "share" / "tesseract-ocr" / "5" / "tessdata"
    (tessdata / "eng.traineddata").symlink_to(eng / "eng.traineddata")
    with pytest.raises(OcrBackendError, match="'jpn_vert' is not installed.*apt-get install -y tesseract-ocr-jpn-vert"):
        resolve_backend("auto", "ja", BackendOptions(tesseract_tessdata_dir=str(tessdata)), vertical=True)
    assert resolve_backend("tesseract", "en", BackendOptions(tesseract_tessdata_dir=str(tessdata))) == "tesseract"


def test_command_stops_with_one_line_when_no_backend_can_read_the_language(tmp_path):
    pdf = samples.make_language_scan(tmp_path / "fr.pdf", "fr", "clean-150")
    proc = subprocess.run([sys.executable, "-m", "data_collection.ocr", "--input", str(pdf), "--lang", "fr",
                           "--output", str(tmp_path / "out"), "--backend_options.tesseract_cmd", "/opt/none/tesseract"],
                          cwd=REPO, capture_output=True, text=True)
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        "python -m data_collection.ocr: error: no OCR backend can read 'fr' here; tesseract: Tesseract not found "
        "(tesseract_cmd: /opt/none/tesseract); install it with: sudo apt-get install -y tesseract-ocr "
        "tesseract-ocr-fra"]
    assert not (tmp_path / "out" / "books").exists()  # stopped before any book


def test_rapidocr_cannot_be_asked_for_vertical_pages():
    with pytest.raises(OcrBackendError, match="vertical pages need the tesseract backend"):
        resolve_backend("rapidocr", "zh", vertical=True)
    assert resolve_backend("auto", "zh") == "rapidocr"


def test_char_error_rate_ignores_layout_whitespace_and_width():
    assert char_error_rate("高 血 压\n是", "高血压是") == 0.0
    assert char_error_rate("２型", "2型") == 0.0  # full-width digit: NFKC
    assert char_error_rate("diabetis", "diabetes") == pytest.approx(1 / 8)
    assert char_error_rate("", "abc") == 1.0
