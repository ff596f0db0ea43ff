"""Book layouts through `python -m data_collection.ocr` with the real engines: held-out pages of
scripts/make_sample_pdfs.py (A5, 10 pt Noto fonts, 600-1,100 characters) scanned at 200 dpi, a few of the cells that
scripts/bench_ocr.py measures; and what the filters drop or miss is counted and flagged.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pymupdf
from rapidfuzz import fuzz
from sample_pdf_maker import samples

from data_collection import ocr
from data_collection.sources.ocr_quality import char_error_rate
from data_collection.sources.reading_order import Box, group_lines


def read(tmp_path: Path, pdf: Path, lang: str, *flags: str) -> tuple[dict, dict]:
    """Run the command on one page: (its book JSON, the run's manifest counts)."""
    out = tmp_path / f"out-{lang}-{len(list(tmp_path.glob('out-*')))}"
    assert ocr.main(["--input", str(pdf), "--lang", lang, "--output", str(out), *flags]) == 0
    book = json.loads(next((out / "books").glob("*.json")).read_text("utf-8"))
    return book, json.loads((out / "manifest.json").read_text("utf-8"))["counts"]


def squeeze(text: str) -> str:
    return "".join(text.split())


def found_at(snippet: str, text: str, min_score: float = 90.0) -> int:
    """Where `snippet` is in `text` (spaces ignored), allowing a few misread characters; fails if it is not."""
    match = fuzz.partial_ratio_alignment(squeeze(snippet), squeeze(text))
    assert match.score >= min_score, (snippet, match)
    return match.dest_start


def plain_tesseract(image: Path, pack: str) -> str:
    return subprocess.run(["tesseract", str(image), "-", "-l", pack], capture_output=True, text=True, check=True).stdout


def test_two_column_page_is_read_column_by_column(tmp_path):
    pdf, _image = samples.make_heldout_scan(tmp_path, "en", "two-column", 200)
    book, counts = read(tmp_path, pdf, "en")
    text = book["text_list"][0]
    assert char_error_rate(text, samples.heldout_reference("en", "two-column")) <= 0.02, text
    # the end of the left column comes before the start of the right one, which ends the page
    _title, first, second, third = samples.HELDOUT_PAGES["en"]
    assert found_at(first[-40:], text) < found_at(second[:40], text) < found_at(third[-40:], text), text
    assert not book["pages"][0]["short_text"] and counts["ocr_pages_short_text"] == 0


def test_arabic_columns_run_from_the_right_their_lines_not_interleaved_no_worse_than_plain_tesseract(tmp_path):
    pdf, image = samples.make_heldout_scan(tmp_path, "ar", "two-column", 200)
    book, _counts = read(tmp_path, pdf, "ar")
    reference = samples.heldout_reference("ar", "two-column")
    ours = char_error_rate(book["text_list"][0], reference)
    assert ours <= char_error_rate(plain_tesseract(image, "ara"), reference) + 0.005
    # each paragraph found whole and in its place (the right column first): words of neighbouring lines or
    # columns mixed would break the match
    starts = [found_at(paragraph, book["text_list"][0], 75.0) for paragraph in samples.HELDOUT_PAGES["ar"]]
    assert "\u200f" not in book["text_list"][0]  # Tesseract's direction marks are not text
    assert starts == sorted(starts)


def test_tall_word_boxes_do_not_merge_neighbouring_lines():
    # Arabic words with dots and tails reach into the lines above and below; each stays on its own line
    lines = [[Box(x, y, x + 50, y + 20, f"w{y}-{x}", 0.9) for x in (10, 70, 130)] for y in (0, 24, 48)]
    tall = Box(190, -6, 240, 36, "tall", 0.9)  # in line 1, its box overlapping line 2 by more than half
    grouped = group_lines([b for line in lines for b in line] + [tall])
    assert [len(line) for line in grouped] == [4, 3, 3]
    assert grouped[0][-1].text == "tall"


def test_latin_terms_in_russian_use_the_secondary_model_from_the_config(tmp_path):
    pdf, _image = samples.make_heldout_scan(tmp_path, "ru", "clean", 200)
    book, _counts = read(tmp_path, pdf, "ru")
    assert book["models"] == "rus+eng"
    assert "Streptococcus pneumoniae" in book["text_list"][0] and "Ceftriaxone" in book["text_list"][0]
    reference = samples.heldout_reference("ru", "clean")
    with_eng = char_error_rate(book["text_list"][0], reference)
    config = tmp_path / "ocr.yaml"
    config.write_text("backend_options:\n  tesseract_extra: {}\n", encoding="utf-8")
    alone, _counts = read(tmp_path, pdf, "ru", "--config", str(config))
    assert alone["models"] == "rus"
    assert "Streptococcus" not in alone["text_list"][0]  # read as look-alike Cyrillic letters
    assert with_eng < char_error_rate(alone["text_list"][0], reference)


class FakeBackend:
    """Returns fixed boxes; the page image underneath is a real rendered page."""

    name = "fake"
    lays_out = False

    def __init__(self, boxes: list[Box]):
        self.boxes = boxes

    def recognise(self, image, dpi=0):
        return self.boxes


def test_dropped_and_empty_boxes_are_counted_and_a_page_short_for_its_ink_is_flagged(tmp_path, monkeypatch):
    pdf, _image = samples.make_heldout_scan(tmp_path, "en", "clean", 200)
    # an engine that read one line of a full page, found one region it could not read, and one low-scored box
    boxes = [Box(10, 10, 400, 40, "Chapter 12. Community-Acquired Pneumonia in Adults", 0.97),
             Box(10, 60, 400, 90, "", 0.0), Box(10, 110, 400, 140, "#~%&", 0.21)]
    monkeypatch.setattr(ocr, "get_backend", lambda *args, **kwargs: FakeBackend(boxes))
    book, counts = read(tmp_path, pdf, "en", "--backend", "tesseract", "--min_confidence", "0.5")
    page = book["pages"][0]
    assert book["text_list"] == ["Chapter 12. Community-Acquired Pneumonia in Adults"]
    assert (page["dropped_boxes"], page["empty_boxes"], page["boxes"]) == (1, 1, 1)
    assert page["short_text"] and page["ink_chars"] > 600  # the page holds ~1,000 characters of print
    assert counts["ocr_boxes_dropped_low_confidence"] == 1 and counts["ocr_boxes_empty"] == 1
    assert counts["ocr_pages_short_text"] == 1


def test_a_blank_page_is_not_flagged_and_scans_are_read_at_their_own_resolution(tmp_path, monkeypatch):
    monkeypatch.setattr(ocr, "get_backend", lambda *args, **kwargs: FakeBackend([]))
    doc = pymupdf.open()
    doc.new_page(width=200, height=200)
    doc.save(tmp_path / "blank.pdf")
    book, _counts = read(tmp_path, tmp_path / "blank.pdf", "en", "--backend", "tesseract")
    assert book["pages"][0]["ink_chars"] == 0 and not book["pages"][0]["short_text"]
    pdf, _image = samples.make_heldout_scan(tmp_path, "de", "clean", 300)
    book, _counts = read(tmp_path, pdf, "de", "--backend", "tesseract")
    assert book["pages"][0]["dpi"] == 300  # not the default 200: a 300-dpi scan keeps its detail
