"""Reading order of OCR boxes (no OCR engine: boxes are given)."""

from __future__ import annotations

import random

from data_collection.reading_order import Box, join_lines, order_page


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
