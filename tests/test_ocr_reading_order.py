"""Reading order of OCR boxes (no OCR engine: boxes are given)."""

from __future__ import annotations

import random

import pytest

from data_collection.sources.reading_order import Box, join_lines, order_page


def _line(y: float, x: float, *words: str, h: float = 20, w: float = 60) -> list[Box]:
    return [Box(x + i * (w + 10), y, x + i * (w + 10) + w, y + h, word, 0.99) for i, word in enumerate(words)]


def test_words_lines_and_paragraphs_come_out_in_order_whatever_the_box_order():
    boxes = (_line(10, 10, "Chapter", "One") + _line(60, 10, "The", "heart", "pumps")
             + _line(85, 10, "blood", "daily.") + _line(140, 10, "New", "paragraph."))
    random.Random(0).shuffle(boxes)
    assert order_page(boxes, space_delimited=True) == ["Chapter One", "The heart pumps blood daily.",
                                                       "New paragraph."]


def test_two_columns_under_a_full_width_title_are_read_column_by_column():
    title = [Box(10, 10, 700, 30, "A title across the whole page", 0.99)]
    left = _line(60, 10, "left1") + _line(85, 10, "left2")
    right = _line(60, 500, "right1") + _line(85, 500, "right2")
    paragraphs = order_page(title + right + left, space_delimited=True)
    assert paragraphs == ["A title across the whole page", "left1 left2", "right1 right2"]


def test_hyphenated_line_ends_are_joined_only_in_space_delimited_languages():
    assert join_lines(["the cardio-", "vascular system"], True) == "the cardiovascular system"
    assert join_lines(["a well-", "Known name"], True) == "a well- Known name"  # capital: a real hyphen
    assert join_lines(["高血压是一种", "常见的慢性疾病。"], False) == "高血压是一种常见的慢性疾病。"
    assert join_lines(["血压 140/90", "mmHg 以上"], False) == "血压 140/90 mmHg 以上"


def test_right_to_left_and_vertical_pages_are_read_in_their_direction():
    # Arabic: two words on a line, the right one first; a right column before the left one
    rtl = [Box(300, 10, 380, 30, "الأول", 0.9), Box(400, 10, 480, 30, "السطر", 0.9),
           Box(10, 100, 90, 120, "اليسار", 0.9), Box(400, 100, 480, 120, "اليمين", 0.9)]
    assert order_page(rtl, space_delimited=True, direction="rtl") == ["السطر الأول", "اليمين", "اليسار"]
    # tategaki: each column runs top to bottom, the rightmost column first
    vertical = [Box(100, 10, 120, 50, "病は", 0.9), Box(100, 50, 120, 90, "慢性", 0.9),
                Box(130, 10, 150, 50, "糖尿", 0.9)]
    assert order_page(vertical, space_delimited=False, direction="vertical") == ["糖尿病は慢性"]
    with pytest.raises(ValueError, match="direction"):
        order_page(rtl, space_delimited=True, direction="btt")
