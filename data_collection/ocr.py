"""Medical textbooks (PDF) -> one JSON per book + document shards: embedded text where there is some, OCR where not.

    python -m data_collection.ocr --config configs/data_collection/ocr.yaml --input books/ --lang zh --output out/
    python -m data_collection.ocr --input a.pdf,b.pdf --lang en --output out/ --num_proc 4
    sbatch --array=0-99 scripts/slurm/ocr_array.sbatch        # 100 tasks; each takes every 100th book

Each page is read from the PDF's text layer when that text is long enough and mostly alphanumeric (PAPER.md),
else OCR'd, offline: a scanned page (one picture) at the picture's own pixels and resolution, anything else
rendered at `dpi`; skewed pages are turned back first. `--backend auto` (the default) takes per language the
engine that read our held-out book pages best (scripts/bench_ocr.py: RapidOCR for zh, Tesseract for en ja fr ru es
de ar; data_collection/sources/ocr_backends.py); `rapidocr`, `tesseract` or `paddleocr` (its models on disk) can be named.
Tesseract lays the page out itself (columns, tables, right-to-left lines: its blocks, paragraphs and lines are
kept); the boxes of the other engines are put in reading order here (data_collection/sources/reading_order.py). Nothing is
lost unseen: boxes under `min_confidence` (0 = keep all) and detections read as empty are counted per page, and a
page whose text is much shorter than its ink holds is flagged `short_text`. Long books skip front matter and the
last pages.

Outputs under --output:
  books/<name>.json              per book: pdf_filename, page_num (1-based page numbers read), text_list (their
                                 text), pages (method text/ocr/error, dpi, mean confidence, chars, boxes,
                                 dropped_boxes, empty_boxes, ink_chars, short_text), backend (the engine actually
                                 used), models (Tesseract's, e.g. rus+eng)
  documents/textbook-<lang>-part-<i>-of-<n>.parquet   document shard of this task (source "textbook", meta.book,
                                 meta.pages), made again from the task's book JSONs on every run
  errors.jsonl                   books that could not be read (errors-<i>-of-<n>.jsonl per array task):
                                 {"unit", "error", "type"}; the command then exits 1, after the other books
  config.yaml, manifest.json     (manifest-<i>-of-<n>.json when sharded; its counts describe the task's shard)

Runs on common/run.py (docs/run.md): each book is a unit, given to a task by a hash of its name (a book added
before a rerun moves no other book to another task) and skipped on a rerun only when the PDF's content, the
engine that reads it and the settings in DEPENDS_ON are those its JSON was made with (else an error naming what
changed, or with `--on_mismatch redo` it is read again: never a shard mixed from two settings). A book whose
JSON was deleted is read again; an encrypted, empty or corrupt PDF fails alone and is retried by a rerun.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import statistics
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
import pymupdf

from common.cli import UserError, cli
from common.config import bad, load_config
from common.languages import by_code
from common.records import write_json
from common.run import OnMismatch, Run, Unit
from data_collection.documents import DocumentShardWriter, make_doc_id
from data_collection.shards import find_named_inputs, resolve_shard_args
from data_collection.sources.ocr_backends import (
    BackendOptions,
    OcrBackendChoice,
    OcrBackendError,
    backend_models,
    get_backend,
    resolve_backend,
)
from data_collection.sources.pdf_pages import (
    PAGE_ERRORS,
    PageRule,
    is_text_page,
    open_pdf,
    page_skew,
    page_text,
    pages_to_read,
    render_page,
)
from data_collection.sources.reading_order import engine_paragraphs, order_page

# the settings a book's JSON depends on (the engine that reads it is the unit's key; num_proc, threads, doc_unit
# and chunk_chars change nothing in it: documents are cut from the JSONs again on every run)
DEPENDS_ON = ("lang", "vertical", "dpi", "max_dpi", "max_skew", "min_chars_per_page", "min_alnum_ratio", "long_book_pages",
              "skip_first", "skip_last", "min_confidence", "paragraph_gap", "column_gap",
              "backend_options.rapidocr_det_model", "backend_options.rapidocr_rec_model",
              "backend_options.rapidocr_rec_keys", "backend_options.tesseract_tessdata_dir",
              "backend_options.tesseract_psm", "backend_options.tesseract_extra", "backend_options.paddle_det_model_dir",
              "backend_options.paddle_rec_model_dir", "backend_options.paddle_cls_model_dir")


@dataclass
class OcrConfig:
    input: list[str] = field(metadata={"help": "PDF files, folders (searched recursively) or globs"})
    output: str = field(metadata={"help": "output folder"})
    lang: str = field(default="en", metadata={"help": "language of the books (ISO 639-1: en zh ja fr ru es de ar)"})
    backend: OcrBackendChoice = field(default="auto", metadata={
        "help": "OCR backend (auto: the best measured one for --lang)"})
    vertical: bool = field(default=False, metadata={"help": "pages set in vertical columns (Japanese tategaki)"})
    dpi: int = field(default=200, metadata={"help": "render resolution for OCR'd pages"})
    max_dpi: int = field(default=400, metadata={"help": "scans are rendered at their own resolution up to this"})
    max_skew: float = field(default=5.0, metadata={"help": "straighten scans turned up to this many degrees (0 = off)"})
    num_proc: int = field(default=1, metadata={"help": "books processed in parallel (processes)"})
    shard_index: int | None = field(default=None, metadata={"help": "this task (default SLURM_ARRAY_TASK_ID or 0)"})
    num_shards: int | None = field(default=None, metadata={"help": "tasks (default SLURM_ARRAY_TASK_COUNT or 1)"})
    min_chars_per_page: int = field(default=50, metadata={"help": "text-based page: at least this many characters"})
    min_alnum_ratio: float = field(default=0.5, metadata={"help": "text-based page: share of letters/digits"})
    long_book_pages: int = field(default=50, metadata={"help": "books with more pages skip front/back matter"})
    skip_first: int = field(default=10, metadata={"help": "front-matter pages skipped in long books"})
    skip_last: int = field(default=10, metadata={"help": "last pages skipped in long books"})
    min_confidence: float = field(default=0.0, metadata={
        "help": "OCR boxes below this confidence are dropped and counted (0: keep all; the engines' low scores are "
                "mostly real text)"})
    paragraph_gap: float = field(default=0.8, metadata={"help": "new paragraph at a gap > this x line height"})
    column_gap: float = field(default=2.0, metadata={"help": "column split at a gap >= this x line height"})
    doc_unit: Literal["book", "chunk"] = field(default="chunk", metadata={
        "help": "documents: one per book, or one per chunk (a run of pages)"})
    chunk_chars: int = field(default=20000, metadata={"help": "chunk: close a document after this many chars"})
    on_mismatch: OnMismatch = field(default="error", metadata={
        "help": "books read with other settings: error, or redo (delete and read again)"})
    backend_options: BackendOptions = field(default_factory=BackendOptions,
                                            metadata={"help": "model paths and threads"})

    def validate(self) -> None:
        try:
            by_code(self.lang)
        except ValueError as err:
            bad("lang", str(err))
        for name in ("num_proc", "dpi", "chunk_chars"):
            if getattr(self, name) < 1:
                bad(name, f"must be at least 1, got {getattr(self, name)}")
        if self.max_dpi < self.dpi:
            bad("max_dpi", f"must be at least dpi ({self.dpi}), got {self.max_dpi}")


# ---------------------------------------------------------------------------------------------------- inputs


def find_pdfs(specs: list[str]) -> list[tuple[Path, str]]:
    """(path, name relative to its input root) for every PDF, sorted by name; the name identifies the book."""
    return find_named_inputs(specs, keep=lambda p: p.suffix.lower() == ".pdf")


def book_json_name(rel: str) -> str:
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", rel.rsplit(".", 1)[0]).strip("_")[:80] or "book"
    return f"{stem}-{hashlib.sha1(rel.encode('utf-8')).hexdigest()[:10]}.json"


# ---------------------------------------------------------------------------------------------------- one book


MIN_SKEW = 0.3  # degrees
# scripts whose lines run right to left (reading order mirrors the page)
RIGHT_TO_LEFT = frozenset({"ar"})
# ink of one non-space character of 10 pt book print, in square points (dark pixels at the render dpi, converted):
# measured on the held-out pages of scripts/bench_ocr.py (Noto Serif, Serif CJK, Naskh Arabic; within 10% across
# clean, noisy, low-contrast JPEG, rotated and table scans at 200 and 300 dpi)
INK_PT2_PER_CHAR = {"zh": 17.5, "ja": 15.5, "ar": 7.0}
INK_PT2_PER_CHAR_DEFAULT = 11.5  # Latin and Cyrillic
# a page whose text has fewer characters than this share of its ink's estimate is flagged `short_text`: lines the
# engine missed (print up to about 15 pt, twice the ink per character, still passes; a page of pictures does not)
SHORT_TEXT_RATIO = 0.4
SCAN_COVER = 0.9  # a page whose largest picture covers this share of it is a scan: rendered at the picture's dpi


def text_direction(cfg: OcrConfig) -> str:
    return "vertical" if cfg.vertical else "rtl" if cfg.lang in RIGHT_TO_LEFT else "ltr"


def _scan_info(page) -> dict | None:
    """The picture that covers the page (a scan), if there is one: get_image_info's entry."""
    area = abs(page.rect)
    for info in page.get_image_info(xrefs=True):
        box = pymupdf.Rect(info["bbox"]) & page.rect
        if area and abs(box) >= SCAN_COVER * area and box.width > 0:
            return info
    return None


def render_dpi(page, cfg: OcrConfig) -> int:
    """`dpi`, or for a scanned page (one picture covering it) that picture's own resolution up to `max_dpi`:
    rendering a 300-dpi scan at 200 dpi blurs the print the engine has to read."""
    info = _scan_info(page)
    native = info["width"] * 72 / pymupdf.Rect(info["bbox"]).width if info else 0.0
    return max(cfg.dpi, min(round(native), cfg.max_dpi))


def scan_pixels(page, dpi: int) -> np.ndarray | None:
    """The scan's own pixels (RGB) when the page is nothing but one upright picture at `dpi`: rendering resamples
    it, and a resampled noisy scan reads worse (Arabic at 300 dpi: 13.2% CER against 8.6% from the file's pixels).
    None when the page has anything else, is turned (/Rotate), or the picture is at another resolution."""
    info = _scan_info(page)
    a, b, c, d = info["transform"][:4] if info else (0, 1, 1, 0)
    if (info is None or page.rotation or abs(b) > 1e-3 or abs(c) > 1e-3 or a <= 0 or d <= 0
            or round(info["width"] * 72 / pymupdf.Rect(info["bbox"]).width) != dpi
            or len(page.get_images()) != 1 or page.get_text().strip() or page.get_drawings()):
        return None
    pix = pymupdf.Pixmap(page.parent, info["xref"])
    if pix.alpha:
        pix = pymupdf.Pixmap(pix, 0)
    if pix.colorspace is None or pix.colorspace.n != 3:
        pix = pymupdf.Pixmap(pymupdf.csRGB, pix)
    pixels = np.frombuffer(pix.samples, dtype=np.uint8).reshape(pix.height, pix.width, 3)
    # a stencil mask, a /Decode array or a soft mask can make the stored pixels differ from what the page shows
    # (white print on black): then the page is rendered instead
    thumb = page.get_pixmap(dpi=24, colorspace=pymupdf.csGRAY, alpha=False)
    if abs(float(np.frombuffer(thumb.samples, dtype=np.uint8).mean()) - float(pixels[::8, ::8].mean())) > 30:
        return None
    return pixels.copy()


def straighten(image: np.ndarray, degrees: float) -> np.ndarray:
    """The scan turned back by its skew (`degrees` counterclockwise), same size, white corners. Bicubic on the
    scan's own pixels: MuPDF's rotated render of the page read Arabic at 300 dpi at 10.8% CER against 8.7% so
    (plain Tesseract on the skewed scan: 9.7%)."""
    import cv2  # OpenCV comes with rapidocr_onnxruntime

    h, w = image.shape[:2]
    turn = cv2.getRotationMatrix2D((w / 2, h / 2), degrees, 1.0)
    return cv2.warpAffine(image, turn, (w, h), flags=cv2.INTER_CUBIC, borderValue=(255, 255, 255))


def ink_chars(image: np.ndarray, dpi: int, lang: str) -> int:
    """About how many characters the dark ink of a rendered page holds (10 pt print): the paper is the
    median grey, the ink what is darker than halfway from it to the darkest 1%, so faded and grey scans count
    alike and scanner noise does not."""
    gray = image.mean(axis=2) if image.ndim == 3 else image
    paper, dark = np.percentile(gray[::2, ::2], [50, 1])
    if paper - dark < 40:  # a blank page or a flat grey one: no print
        return 0
    ink_pixels = int(np.count_nonzero(gray < (paper + dark) / 2))
    return round(ink_pixels * (72 / dpi) ** 2 / INK_PT2_PER_CHAR.get(lang, INK_PT2_PER_CHAR_DEFAULT))


def ocr_page(page, cfg: OcrConfig, space_delimited: bool) -> tuple[str, dict]:
    engine = get_backend(cfg.backend, cfg.lang, cfg.backend_options, cfg.vertical)
    skew = page_skew(page, cfg.max_skew, cfg.vertical)
    dpi = render_dpi(page, cfg)
    # below MIN_SKEW lines stay apart across the page; turning the image would only blur it
    turn = skew if abs(skew) >= MIN_SKEW else 0.0
    image = scan_pixels(page, dpi)
    if image is None:
        image = render_page(page, dpi, rotate=-turn)
    elif turn:
        image = straighten(image, turn)
    found = engine.recognise(image, dpi=dpi)
    boxes = [b for b in found if b.text.strip()]
    kept = [b for b in boxes if b.score >= cfg.min_confidence]
    if engine.lays_out:  # the engine's own columns, paragraphs and lines (Tesseract)
        paragraphs = engine_paragraphs(boxes, space_delimited, min_score=cfg.min_confidence)
    else:
        paragraphs = order_page(boxes, space_delimited, cfg.paragraph_gap, cfg.column_gap, text_direction(cfg),
                                min_score=cfg.min_confidence)
    text = "\n\n".join(paragraphs)
    expected = ink_chars(image, dpi, cfg.lang)
    chars = sum(not c.isspace() for c in text)
    info = {"method": "ocr", "dpi": dpi, "skew_degrees": skew, "boxes": len(kept),
            "dropped_boxes": len(boxes) - len(kept), "empty_boxes": len(found) - len(boxes),
            "mean_confidence": round(statistics.fmean(b.score for b in kept), 4) if kept else None,
            "ink_chars": expected, "short_text": chars < SHORT_TEXT_RATIO * expected}
    return text, info


def read_book(path: Path, rel: str, cfg: OcrConfig) -> dict:
    """The book JSON for one PDF; raises PdfError when the file cannot be opened."""
    rule = PageRule(cfg.min_chars_per_page, cfg.min_alnum_ratio, cfg.long_book_pages, cfg.skip_first,
                    cfg.skip_last)
    space_delimited = by_code(cfg.lang).space_delimited
    backend = resolve_backend(cfg.backend, cfg.lang, cfg.backend_options, cfg.vertical)
    doc = open_pdf(path)
    page_count = doc.page_count
    try:
        wanted = pages_to_read(page_count, rule)
        page_nums, texts, pages = [], [], []
        for index in wanted:
            try:
                page = doc.load_page(index)
                embedded = page_text(page, space_delimited)
                if is_text_page(embedded, rule):
                    text, info = embedded, {"method": "text", "mean_confidence": None}
                else:
                    text, info = ocr_page(page, cfg, space_delimited)
            except OcrBackendError:
                raise  # a setup problem (missing model), not this page's fault
            except PAGE_ERRORS as err:  # a damaged page: record it, read the rest of the book
                text, info = "", {"method": "error", "reason": f"{type(err).__name__}: {err}"}
            page_nums.append(index + 1)
            texts.append(text)
            pages.append({"page": index + 1, "chars": len(text), **info})
    finally:
        doc.close()
    return {"pdf_filename": rel, "page_num": page_nums, "text_list": texts, "pages": pages,
            "page_count": page_count, "skipped_pages": sorted(set(range(1, page_count + 1)) - set(page_nums)),
            "lang": cfg.lang, "backend": backend, "models": backend_models(backend, cfg.lang, cfg.backend_options,
                                                                          cfg.vertical),
            "vertical": cfg.vertical, "dpi": cfg.dpi}


def process_book(unit: Unit) -> dict:
    """Worker: read one book (a unit) and write its JSON atomically; a PDF that cannot be read raises."""
    cfg: OcrConfig = unit.payload
    book = read_book(Path(unit.inputs[0]), unit.name, cfg)
    json_path = Path(cfg.output) / "books" / book_json_name(unit.name)
    write_json(json_path, book)
    counts = book_counts(book)
    print(f"  {unit.name}: {len(book['pages'])} pages (text {counts['pages_text']}, ocr {counts['pages_ocr']}, "
          f"error {counts['pages_error']})", flush=True)
    return {"outputs": [str(json_path)]}


COUNT_KEYS = ("pages_text", "pages_ocr", "pages_error", "chars", "ocr_boxes_dropped_low_confidence",
              "ocr_boxes_empty", "ocr_pages_short_text")


def book_counts(book: dict) -> Counter:
    methods = Counter(p["method"] for p in book["pages"])
    pages = book["pages"]
    return Counter({"pages_text": methods["text"], "pages_ocr": methods["ocr"], "pages_error": methods["error"],
                    "chars": sum(p["chars"] for p in pages),
                    "ocr_boxes_dropped_low_confidence": sum(p.get("dropped_boxes", 0) for p in pages),
                    "ocr_boxes_empty": sum(p.get("empty_boxes", 0) for p in pages),
                    "ocr_pages_short_text": sum(bool(p.get("short_text")) for p in pages)})


# ---------------------------------------------------------------------------------------------------- documents


def book_documents(book: dict, cfg: OcrConfig) -> list[dict]:
    """One document per book, or per run of pages of about `chunk_chars` characters (chapter-sized)."""
    limit = cfg.chunk_chars if cfg.doc_unit == "chunk" else float("inf")
    runs: list[list[tuple[int, str]]] = [[]]
    size = 0
    for num, text in zip(book["page_num"], book["text_list"]):
        if not text.strip():
            continue
        if size >= limit:
            runs.append([])
            size = 0
        runs[-1].append((num, text))
        size += len(text)
    docs = []
    for run in runs:
        if not run:
            continue
        first, last = run[0][0], run[-1][0]
        docs.append({"id": make_doc_id("textbook", book["pdf_filename"], first), "lang": book["lang"],
                     "text": "\n\n".join(text for _, text in run), "source": "textbook",
                     "meta": {"book": book["pdf_filename"], "pages": [first, last],
                              "title": Path(book["pdf_filename"]).stem}})
    return docs


# ---------------------------------------------------------------------------------------------------- main


def check_config(cfg: OcrConfig) -> str:
    """The engine that will read the scans, checked before any book (its package, its models for the language)."""
    try:
        return resolve_backend(cfg.backend, cfg.lang, cfg.backend_options, cfg.vertical)
    except OcrBackendError as err:  # a setup problem: every book would fail the same way
        raise UserError(str(err)) from None  # it names the backend, the option or the package to install


def check_task_count(shards: Path, lang: str, num: int) -> None:
    """Shards of a run with another number of tasks would hold the same books twice beside ours."""
    other = sorted(p.name for p in shards.glob(f"textbook-{lang}-part-*-of-*.parquet")
                   if not p.name.endswith(f"-of-{num:05d}.parquet"))
    if other:
        raise UserError(f"{shards}: holds shards of a run with another number of tasks ({other[0]}); rerun with "
                        "that number of tasks, or use another output folder")


def write_task_shard(units: list[Unit], cfg: OcrConfig, shard: Path) -> Counter:
    """This task's document shard from the JSONs of its read books; the counts of those books."""
    counts: Counter = Counter(dict.fromkeys(COUNT_KEYS, 0))
    with DocumentShardWriter(shard) as writer:
        for unit in units:
            book = json.loads((Path(cfg.output) / "books" / book_json_name(unit.name)).read_text("utf-8"))
            counts.update(book_counts(book))
            for doc in book_documents(book, cfg):
                writer.add(doc)
    counts["documents"] = writer.count
    return counts


def main(argv: list[str] | None = None) -> int:
    # settings, the OCR engine and the inputs are checked before any book
    cfg = load_config(OcrConfig, argv, description=__doc__, prog="python -m data_collection.ocr")
    backend = check_config(cfg)
    books = find_pdfs(cfg.input)
    if not books:
        raise UserError(f"key 'input': no PDF files in {cfg.input}")
    print(f"ocr: lang {cfg.lang}, backend {backend}" + (" (auto)" if cfg.backend == "auto" else ""))
    index, num = resolve_shard_args(cfg.shard_index, cfg.num_shards)
    out = Path(cfg.output)
    shard = out / "documents" / f"textbook-{cfg.lang}-part-{index:05d}-of-{num:05d}.parquet"
    if cfg.num_proc > 1 and cfg.backend_options.threads == 0:
        cfg.backend_options.threads = max(1, (os.cpu_count() or 1) // cfg.num_proc)
    with Run("data_collection.ocr", out, cfg, task=(index, num), depends_on=DEPENDS_ON,
             on_mismatch=cfg.on_mismatch) as run:
        check_task_count(out / "documents", cfg.lang, num)
        # read every book of this task (finished ones are skipped), then cut this task's documents
        units = run.slice([Unit(rel, inputs=(str(path),), key=backend, payload=cfg) for path, rel in books],
                          stable=True)
        # spawn: a worker must not inherit an ONNX Runtime session (and its threads) from the parent
        run.map(process_book, units, workers=cfg.num_proc, context="spawn")
        failed = {f["unit"] for f in run.failed}
        run.counts.update(write_task_shard([u for u in units if u.name not in failed], cfg, shard))
        c = run.counts
        print(f"ocr: {len(units)} books (read now {c['units_done']}, done before {c['units_skipped_done']}, failed "
              f"{c['units_failed']}); pages: text {c['pages_text']}, ocr {c['pages_ocr']}, error "
              f"{c['pages_error']}; {c['chars']} chars; {c['ocr_boxes_dropped_low_confidence']} low-confidence "
              f"boxes dropped, {c['ocr_boxes_empty']} read empty; {c['ocr_pages_short_text']} pages with less "
              f"text than their ink; {c['documents']} documents -> {shard}")
    return run.exit_code


if __name__ == "__main__":
    sys.exit(cli(main, "python -m data_collection.ocr"))
