"""PDF pages: open safely, choose the pages to read, classify each page as text-based or image-based, extract.

Following the paper, a page is *text-based* when the text embedded in the PDF has enough characters and is mostly
alphanumeric; otherwise (a scan, or a broken text layer of symbols) it is rendered and OCR'd. The decision is made
per page, so a book that mixes typeset and scanned pages is read correctly. Long books skip front matter (title,
copyright, table of contents) and the last pages (index, adverts). A scan fed into the scanner at an angle is
straightened before OCR: its skew is estimated from a low-resolution render and the page is rendered rotated back.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pymupdf

from data_collection.sources.reading_order import join_lines

pymupdf.TOOLS.mupdf_display_errors(False)  # warnings about damaged files come back to us as exceptions instead


class PdfError(Exception):
    """A PDF that cannot be read at all: the message is the reason written to the errors file."""


# what MuPDF raises for damaged data (its own FzError* classes are not RuntimeErrors)
PAGE_ERRORS = (pymupdf.mupdf.FzErrorBase, RuntimeError, ValueError)


@dataclass(frozen=True)
class PageRule:
    min_chars: int = 50  # characters (non-space) of embedded text for a page to count as text-based
    min_alnum_ratio: float = 0.5  # share of those characters that are letters or digits (any script)
    long_book_pages: int = 50  # books with more pages than this skip front and back matter
    skip_first: int = 10
    skip_last: int = 10


def open_pdf(path: str | Path) -> pymupdf.Document:
    """Open a PDF or raise PdfError saying why it cannot be read (empty, corrupt, encrypted, no pages)."""
    p = Path(path)
    if p.stat().st_size == 0:
        raise PdfError("empty file (0 bytes)")
    try:
        doc = pymupdf.open(p, filetype="pdf")
    except (pymupdf.FileDataError, pymupdf.EmptyFileError, *PAGE_ERRORS) as err:
        raise PdfError(f"corrupt or not a PDF: {err}") from None
    if doc.needs_pass:
        doc.close()
        raise PdfError("encrypted: a password is required to open it")
    if doc.page_count == 0:
        doc.close()
        raise PdfError("no pages (empty or truncated PDF)")
    return doc


def pages_to_read(page_count: int, rule: PageRule) -> list[int]:
    """0-based page indexes to read: all pages, or for long books all but the front and back matter."""
    if page_count > rule.long_book_pages and page_count > rule.skip_first + rule.skip_last:
        return list(range(rule.skip_first, page_count - rule.skip_last))
    return list(range(page_count))


def alnum_ratio(text: str) -> float:
    chars = [c for c in text if not c.isspace()]
    return sum(c.isalnum() for c in chars) / len(chars) if chars else 0.0


def is_text_page(text: str, rule: PageRule) -> bool:
    """True when the embedded text is long enough and mostly letters/digits (else the page is OCR'd)."""
    n_chars = sum(not c.isspace() for c in text)
    return n_chars >= rule.min_chars and alnum_ratio(text) >= rule.min_alnum_ratio


def page_text(page: pymupdf.Page, space_delimited: bool) -> str:
    """Embedded text of a page, block by block in reading order; the lines of a block are one paragraph."""
    paragraphs = []
    for block in page.get_text("blocks", sort=True):
        x0, y0, x1, y1, text, _no, block_type = block[:7]
        if block_type != 0:  # 1 = image block
            continue
        joined = join_lines(text.splitlines(), space_delimited)
        if joined:
            paragraphs.append(joined)
    return "\n\n".join(paragraphs)


def render_page(page: pymupdf.Page, dpi: int, rotate: float = 0.0) -> np.ndarray:
    """The page as an RGB uint8 array at `dpi`, turned `rotate` degrees counterclockwise (white corners)."""
    zoom = dpi / 72
    pix = page.get_pixmap(matrix=pymupdf.Matrix(zoom, zoom).prerotate(rotate), colorspace=pymupdf.csRGB, alpha=False)
    return np.frombuffer(pix.samples, dtype=np.uint8).reshape(pix.height, pix.width, 3).copy()


def _profile_sharpness(ys: np.ndarray, xs: np.ndarray, degrees: float) -> float:
    """How sharply the ink falls into rows when the page is turned by `degrees`: text lines give tall narrow
    peaks in the row histogram, so the sum of squared row counts is largest at the right angle."""
    rows = np.round(ys - xs * np.tan(np.radians(degrees))).astype(np.int64)
    counts = np.bincount(rows - rows.min())
    return float(np.dot(counts, counts))


def page_skew(page: pymupdf.Page, max_degrees: float, vertical: bool = False, dpi: int = 100) -> float:
    """Degrees the text lines are turned counterclockwise (render with `rotate=-skew` to straighten them);
    0.0 for a blank page. Projection-profile search: coarse steps over +-max_degrees, then fine steps.
    `vertical`: the text runs in columns, so the profile is taken across the page instead of down it."""
    pix = page.get_pixmap(dpi=dpi, colorspace=pymupdf.csGRAY, alpha=False)
    gray = np.frombuffer(pix.samples, dtype=np.uint8).reshape(pix.height, pix.width)
    ys, xs = np.nonzero(gray < 128)
    if len(ys) < 50 or max_degrees <= 0:
        return 0.0
    ys, xs = ys.astype(np.float64), xs.astype(np.float64)
    if vertical:  # columns are the lines: swap the axes (a mirror image, so the angle changes sign below)
        ys, xs = xs, ys
    best = max(np.arange(-max_degrees, max_degrees + 1e-9, 0.25), key=lambda a: _profile_sharpness(ys, xs, a))
    best = max(np.arange(best - 0.25, best + 0.25 + 1e-9, 0.05), key=lambda a: _profile_sharpness(ys, xs, a))
    return round(float(-best if vertical else best), 2) + 0.0  # + 0.0: no -0.0 in the book JSON
