"""Reading order for OCR boxes: columns left to right, lines top to bottom, words left to right, paragraphs.

An OCR engine returns text boxes in no guaranteed order. A page is read here the way a person reads a textbook:
split the page into columns at vertical gaps that no box crosses, read each column top to bottom, group boxes that
share a baseline into lines, start a new paragraph at a large vertical gap, and join the lines of a paragraph
(hyphenated line ends are re-joined in space-delimited languages; CJK lines are joined without a space).

Engines that lay the page out themselves (Tesseract: columns, tables, right-to-left lines) give each word its
block, paragraph and line; `engine_paragraphs` keeps their order instead of re-sorting the boxes.

Right-to-left scripts (Arabic) are read on the page mirrored left to right, so columns and words run from the
right; vertical pages (Japanese tategaki) are read on the page turned a quarter left, so columns that run top to
bottom, right to left, become lines read left to right, top to bottom.
"""

from __future__ import annotations

import re
import statistics
from dataclasses import dataclass


@dataclass(frozen=True)
class Box:
    """One recognised text box in page pixels (axis-aligned hull of the detector's quadrilateral)."""

    x0: float
    y0: float
    x1: float
    y1: float
    text: str
    score: float
    # (block, paragraph, line) numbers when the engine laid the page out itself (Tesseract); None otherwise
    line: tuple[int, int, int] | None = None

    @property
    def height(self) -> float:
        return max(self.y1 - self.y0, 1.0)

    @property
    def y_mid(self) -> float:
        return (self.y0 + self.y1) / 2


def box_from_quad(quad: list[list[float]], text: str, score: float) -> Box:
    xs = [float(p[0]) for p in quad]
    ys = [float(p[1]) for p in quad]
    return Box(min(xs), min(ys), max(xs), max(ys), text, float(score))


def split_columns(boxes: list[Box], min_gap: float) -> list[list[Box]]:
    """Split at vertical strips at least `min_gap` pixels wide that no box covers; columns left to right."""
    if not boxes:
        return []
    spans = sorted((b.x0, b.x1) for b in boxes)
    cuts: list[float] = []
    reach = spans[0][1]
    for x0, x1 in spans[1:]:
        if x0 - reach >= min_gap:
            cuts.append((x0 + reach) / 2)
        reach = max(reach, x1)
    columns: list[list[Box]] = [[] for _ in range(len(cuts) + 1)]
    for b in boxes:
        columns[sum(1 for c in cuts if b.x0 > c)].append(b)
    return [c for c in columns if c]


def split_rows(boxes: list[Box], min_gap: float) -> list[list[Box]]:
    """Split at horizontal strips at least `min_gap` pixels high that no box covers; bands top to bottom."""
    bands: list[list[Box]] = []
    reach = None
    for b in sorted(boxes, key=lambda b: b.y0):
        if reach is None or b.y0 - reach >= min_gap:
            bands.append([])
        bands[-1].append(b)
        reach = b.y1 if reach is None else max(reach, b.y1)
    return bands


def layout_blocks(boxes: list[Box], col_gap: float, row_gap: float, depth: int = 0) -> list[list[Box]]:
    """XY-cut: columns first; when none, cut into horizontal bands only if some band has columns.

    This reads a full-width title and then the two columns under it in the right order, and keeps a
    single-column page as one block so paragraphs are decided across the whole page.
    """
    columns = split_columns(boxes, col_gap)
    if len(columns) > 1 and depth < 8:
        return [blk for col in columns for blk in layout_blocks(col, col_gap, row_gap, depth + 1)]
    bands = split_rows(boxes, row_gap)
    if depth < 8 and len(bands) > 1 and any(len(split_columns(b, col_gap)) > 1 for b in bands):
        return [blk for band in bands for blk in layout_blocks(band, col_gap, row_gap, depth + 1)]
    return [boxes]


def group_lines(boxes: list[Box]) -> list[list[Box]]:
    """Boxes whose vertical middle falls inside the core band of the line above (its median top to median bottom)
    join that line. The band is not the union of the boxes: a tall box (an Arabic word with its dots and
    descenders, a bracket) would widen it into the lines above and below and pull their words in."""
    lines: list[list[Box]] = []
    for b in sorted(boxes, key=lambda b: (b.y_mid, b.x0)):
        if lines:
            last = lines[-1]
            top = statistics.median(x.y0 for x in last)
            bottom = statistics.median(x.y1 for x in last)
            if top <= b.y_mid <= bottom:
                last.append(b)
                continue
        lines.append([b])
    return [sorted(line, key=lambda b: b.x0) for line in lines]


def _is_cjk(ch: str) -> bool:
    code = ord(ch)
    return (0x3040 <= code <= 0x30FF or 0x3400 <= code <= 0x9FFF or 0xF900 <= code <= 0xFAFF
            or 0xFF00 <= code <= 0xFFEF or 0x3000 <= code <= 0x303F or 0xAC00 <= code <= 0xD7AF)


def join_pieces(left: str, right: str) -> str:
    """Concatenate two pieces of one text, with a space unless either side of the seam is CJK."""
    left, right = left.rstrip(), right.lstrip()
    if not left or not right:
        return left + right
    if _is_cjk(left[-1]) or _is_cjk(right[0]):
        return left + right
    return left + " " + right


_HYPHEN_END = re.compile(r"(\w)[-\u00ad\u2010]$")


def join_lines(lines: list[str], space_delimited: bool) -> str:
    """Join the lines of one paragraph; `medi-` + `cine` becomes `medicine` in space-delimited languages."""
    text = ""
    for line in lines:
        line = line.strip()
        if not line:
            continue
        if text and space_delimited and _HYPHEN_END.search(text) and line[0].islower():
            text = text[:-1] + line
        elif text and not space_delimited:
            text = text + line if (_is_cjk(text[-1]) or _is_cjk(line[0])) else join_pieces(text, line)
        else:
            text = join_pieces(text, line)
    return text


def paragraphs_from_lines(lines: list[list[Box]], gap_factor: float) -> list[list[list[Box]]]:
    """A vertical gap larger than `gap_factor` x the median line height starts a new paragraph."""
    if not lines:
        return []
    median_h = statistics.median(max(b.y1 for b in ln) - min(b.y0 for b in ln) for ln in lines)
    paragraphs = [[lines[0]]]
    for prev, line in zip(lines, lines[1:]):
        gap = min(b.y0 for b in line) - max(b.y1 for b in prev)
        if gap > gap_factor * median_h:
            paragraphs.append([line])
        else:
            paragraphs[-1].append(line)
    return paragraphs


DIRECTIONS = ("ltr", "rtl", "vertical")


def to_reading_frame(boxes: list[Box], direction: str) -> list[Box]:
    """The boxes in a frame where text runs left to right, top to bottom (see the module docstring)."""
    if direction == "ltr" or not boxes:
        return boxes
    right = max(b.x1 for b in boxes)
    if direction == "rtl":
        return [Box(right - b.x1, b.y0, right - b.x0, b.y1, b.text, b.score, b.line) for b in boxes]
    if direction == "vertical":
        return [Box(b.y0, right - b.x1, b.y1, right - b.x0, b.text, b.score, b.line) for b in boxes]
    raise ValueError(f"direction must be one of {DIRECTIONS}, got {direction!r}")


def order_page(boxes: list[Box], space_delimited: bool, gap_factor: float = 0.8,
               column_gap_factor: float = 2.0, direction: str = "ltr", min_score: float = 0.0) -> list[str]:
    """Paragraph texts of one page in reading order. Column gaps are measured in median box heights.

    Boxes scored below `min_score` still shape the layout (they are ink on the page: a dropped word must not
    open a gap that splits its line into columns) but their text is left out."""
    boxes = to_reading_frame(boxes, direction)
    if not boxes:
        return []
    median_h = statistics.median(b.height for b in boxes)
    out: list[str] = []
    # bands are cut only at paragraph-sized gaps, so the lines of one column never split into bands
    for block in layout_blocks(boxes, column_gap_factor * median_h, gap_factor * median_h):
        for para in paragraphs_from_lines(group_lines(block), gap_factor):
            line_texts = []
            for line in para:
                text = ""
                for b in line:
                    if b.score >= min_score:
                        text = join_pieces(text, b.text)
                line_texts.append(text)
            joined = join_lines(line_texts, space_delimited)
            if joined:
                out.append(joined)
    return out


def engine_paragraphs(boxes: list[Box], space_delimited: bool, min_score: float = 0.0) -> list[str]:
    """Paragraph texts of a page the engine laid out itself: its paragraphs and lines in its order (Tesseract's
    page segmentation finds columns, tables and right-to-left lines better than re-sorting its word boxes), the
    words of a line in the order given. Words scored below `min_score` are left out."""
    paragraphs: dict[tuple[int, int], dict[int, str]] = {}
    for b in boxes:
        if b.line is None:
            raise ValueError("engine_paragraphs needs boxes with the engine's line numbers")
        lines = paragraphs.setdefault(b.line[:2], {})
        text = lines.setdefault(b.line[2], "")
        if b.score >= min_score:
            lines[b.line[2]] = join_pieces(text, b.text)
    out = []
    for lines in paragraphs.values():
        joined = join_lines(list(lines.values()), space_delimited)
        if joined:
            out.append(joined)
    return out
