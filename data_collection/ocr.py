"""Medical textbooks (PDF) -> one JSON per book + document shards: embedded text where there is some, OCR where not.

    python -m data_collection.ocr --config configs/data_collection/ocr.yaml --input books/ --lang zh --output out/
    python -m data_collection.ocr --input a.pdf,b.pdf --lang en --output out/ --num_proc 4
    sbatch --array=0-99 scripts/slurm/ocr_array.sbatch        # 100 tasks; each takes every 100th book

Each page is read from the PDF's text layer when that text is long enough and mostly alphanumeric (PAPER.md),
else rendered at `dpi` and OCR'd, offline: `--backend auto` (the default) takes per language the engine that read
our measured scans best (RapidOCR for en/zh, Tesseract for ja/fr/ru/es/de/ar; data_collection/ocr_backends.py);
`rapidocr`, `tesseract` or `paddleocr` (its models on disk) can be named. OCR boxes are put in reading order
(right to left for Arabic, columns right to left with `--vertical`), low-confidence boxes are dropped and counted.
Long books skip front matter and the last pages.

Outputs under --output:
  books/<name>.json              per book: pdf_filename, page_num (1-based page numbers read), text_list (their
                                 text), pages (method text/ocr/error, mean confidence, chars, dropped boxes),
                                 backend (the engine actually used); also the book's done marker: a rerun skips
                                 books whose JSON exists
  documents/textbook-<lang>-part-<i>-of-<n>.parquet   document shard of this task (source "textbook", meta.book, meta.pages)
  errors-<i>-of-<n>.jsonl        books that could not be read: {"file", "reason"} (the command then exits 1,
                                 after finishing the other books and writing the summary)
  config.yaml, manifest.json     (manifest-<i>-of-<n>.json when sharded)
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import re
import statistics
import sys
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from common.config import load_config
from common.languages import by_code
from common.manifest import RunManifest
from common.records import write_json, write_jsonl
from data_collection.documents import make_doc_id, write_document_shard
from data_collection.ocr_backends import (
    CHOICES,
    BackendOptions,
    OcrBackendError,
    get_backend,
    resolve_backend,
)
from data_collection.pdf_pages import (
    PAGE_ERRORS,
    PageRule,
    PdfError,
    is_text_page,
    open_pdf,
    page_skew,
    page_text,
    pages_to_read,
    render_page,
)
from data_collection.reading_order import order_page
from data_collection.shards import find_named_inputs, resolve_shard_args, slice_for_task


@dataclass
class OcrConfig:
    input: list[str] = field(metadata={"help": "PDF files, folders (searched recursively) or globs"})
    output: str = field(metadata={"help": "output folder"})
    lang: str = field(default="en", metadata={"help": "language of the books (ISO 639-1: en zh ja fr ru es de ar)"})
    backend: str = field(default="auto", metadata={"help": "OCR backend: " + " | ".join(CHOICES)
                                                   + " (auto: the best measured one for --lang)"})
    vertical: bool = field(default=False, metadata={"help": "pages set in vertical columns (Japanese tategaki)"})
    dpi: int = field(default=200, metadata={"help": "render resolution for OCR'd pages"})
    max_skew: float = field(default=5.0, metadata={"help": "straighten scans turned up to this many degrees (0 = off)"})
    num_proc: int = field(default=1, metadata={"help": "books processed in parallel (processes)"})
    shard_index: int | None = field(default=None, metadata={"help": "this task (default SLURM_ARRAY_TASK_ID or 0)"})
    num_shards: int | None = field(default=None, metadata={"help": "tasks (default SLURM_ARRAY_TASK_COUNT or 1)"})
    min_chars_per_page: int = field(default=50, metadata={"help": "text-based page: at least this many characters"})
    min_alnum_ratio: float = field(default=0.5, metadata={"help": "text-based page: share of letters/digits"})
    long_book_pages: int = field(default=50, metadata={"help": "books with more pages skip front/back matter"})
    skip_first: int = field(default=10, metadata={"help": "front-matter pages skipped in long books"})
    skip_last: int = field(default=10, metadata={"help": "last pages skipped in long books"})
    min_confidence: float = field(default=0.5, metadata={"help": "OCR boxes below this confidence are dropped"})
    paragraph_gap: float = field(default=0.8, metadata={"help": "new paragraph at a gap > this x line height"})
    column_gap: float = field(default=2.0, metadata={"help": "column split at a gap >= this x line height"})
    doc_unit: str = field(default="chunk", metadata={"help": "documents: book (one per book) | chunk (page runs)"})
    chunk_chars: int = field(default=20000, metadata={"help": "chunk: close a document after this many chars"})
    overwrite: bool = field(default=False, metadata={"help": "redo books that already have a JSON"})
    backend_options: BackendOptions = field(default_factory=BackendOptions,
                                            metadata={"help": "model paths and threads"})


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


def text_direction(cfg: OcrConfig) -> str:
    return "vertical" if cfg.vertical else "rtl" if cfg.lang in RIGHT_TO_LEFT else "ltr"


def ocr_page(page, cfg: OcrConfig, space_delimited: bool) -> tuple[str, dict]:
    engine = get_backend(cfg.backend, cfg.lang, cfg.backend_options, cfg.vertical)
    skew = page_skew(page, cfg.max_skew, cfg.vertical)
    # below MIN_SKEW lines stay apart across the page; turning the image would only blur it
    boxes = engine.recognise(render_page(page, cfg.dpi, rotate=-skew if abs(skew) >= MIN_SKEW else 0.0))
    boxes = [b for b in boxes if b.text.strip()]
    kept = [b for b in boxes if b.score >= cfg.min_confidence]
    paragraphs = order_page(boxes, space_delimited, cfg.paragraph_gap, cfg.column_gap, text_direction(cfg),
                            min_score=cfg.min_confidence)
    info = {"method": "ocr", "skew_degrees": skew, "boxes": len(kept), "dropped_boxes": len(boxes) - len(kept),
            "mean_confidence": round(statistics.fmean(b.score for b in kept), 4) if kept else None}
    return "\n\n".join(paragraphs), info


def read_book(path: Path, rel: str, cfg: OcrConfig) -> dict:
    """The book JSON for one PDF; raises PdfError when the file cannot be opened."""
    rule = PageRule(cfg.min_chars_per_page, cfg.min_alnum_ratio, cfg.long_book_pages, cfg.skip_first,
                    cfg.skip_last)
    space_delimited = by_code(cfg.lang).space_delimited
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
            "lang": cfg.lang, "backend": resolve_backend(cfg.backend, cfg.lang, cfg.backend_options, cfg.vertical),
            "vertical": cfg.vertical, "dpi": cfg.dpi}


def process_book(task: tuple[str, str, str, dict]) -> dict:
    """Worker: read one book and write its JSON (atomically, the done marker). Returns a summary."""
    path, rel, json_path, cfg_dict = task
    cfg = _config_from_dict(cfg_dict)
    if Path(json_path).exists() and not cfg.overwrite:
        return {"file": rel, "status": "done_before", **_book_counts(json.loads(Path(json_path).read_text("utf-8")))}
    try:
        book = read_book(Path(path), rel, cfg)
    except PdfError as err:
        return {"file": rel, "status": "error", "reason": str(err)}
    except OcrBackendError:
        raise  # a setup problem (missing model, unsupported language): every book would fail the same way
    except (*PAGE_ERRORS, OSError) as err:  # what a damaged file makes PyMuPDF or the OCR engine raise
        return {"file": rel, "status": "error", "reason": f"{type(err).__name__}: {err}"}
    write_json(json_path, book)
    return {"file": rel, "status": "done", **_book_counts(book)}


def _config_from_dict(d: dict) -> OcrConfig:
    return OcrConfig(**{**d, "backend_options": BackendOptions(**d["backend_options"])})


def _book_counts(book: dict) -> dict:
    methods = Counter(p["method"] for p in book["pages"])
    return {"pages": dict(methods), "chars": sum(p["chars"] for p in book["pages"]),
            "dropped_boxes": sum(p.get("dropped_boxes", 0) for p in book["pages"])}


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


def run_tasks(tasks: list[tuple], num_proc: int) -> list[dict]:
    from tqdm import tqdm

    bar = tqdm(total=len(tasks), desc="books", unit="book", dynamic_ncols=True)
    results = []
    if num_proc <= 1:
        for task in tasks:
            results.append(process_book(task))
            bar.update()
    else:
        # spawn: a worker must not inherit an ONNX Runtime session (and its threads) from the parent
        with multiprocessing.get_context("spawn").Pool(num_proc) as pool:
            for result in pool.imap_unordered(process_book, tasks):
                results.append(result)
                bar.update()
    bar.close()
    return results


def summarise(results: list[dict]) -> dict[str, Any]:
    status = Counter(r["status"] for r in results)
    pages: Counter = Counter()
    for r in results:
        pages.update(r.get("pages", {}))
    return {"books_in": len(results), "books_done": status["done"], "books_done_before": status["done_before"],
            "books_error": status["error"], "pages_text": pages["text"], "pages_ocr": pages["ocr"],
            "pages_error": pages["error"], "chars": sum(r.get("chars", 0) for r in results),
            "ocr_boxes_dropped_low_confidence": sum(r.get("dropped_boxes", 0) for r in results)}


def main(argv: list[str] | None = None) -> dict[str, Any]:
    cfg = load_config(OcrConfig, argv, description=__doc__, prog="python -m data_collection.ocr")
    by_code(cfg.lang)
    if cfg.doc_unit not in ("book", "chunk"):
        raise ValueError(f"doc_unit must be book or chunk, got {cfg.doc_unit!r}")
    backend = resolve_backend(cfg.backend, cfg.lang, cfg.backend_options, cfg.vertical)  # fail before any book
    print(f"ocr: lang {cfg.lang}, backend {backend}" + (" (auto)" if cfg.backend == "auto" else ""))
    shard_index, num_shards = resolve_shard_args(cfg.shard_index, cfg.num_shards)
    tag = f"{shard_index:05d}-of-{num_shards:05d}"
    out = Path(cfg.output)

    # data: this task's books (every num_shards-th, by name)
    books = slice_for_task(find_pdfs(cfg.input), shard_index, num_shards)
    manifest = RunManifest("data_collection.ocr", out, cfg)
    if cfg.num_proc > 1 and cfg.backend_options.threads == 0:
        cfg.backend_options.threads = max(1, (os.cpu_count() or 1) // cfg.num_proc)
    cfg_dict = asdict(cfg)
    tasks = [(str(path), rel, str(out / "books" / book_json_name(rel)), cfg_dict) for path, rel in books]

    # read every book (resumable: finished books are skipped), then write errors and this task's documents
    results = run_tasks(tasks, cfg.num_proc)
    errors = [{"file": r["file"], "reason": r["reason"]} for r in results if r["status"] == "error"]
    write_jsonl(out / f"errors-{tag}.jsonl", errors)
    docs = []
    for _path, _rel, json_path, _ in tasks:
        if Path(json_path).exists():
            docs.extend(book_documents(json.loads(Path(json_path).read_text("utf-8")), cfg))
    write_document_shard(out / "documents" / f"textbook-{cfg.lang}-part-{tag}.parquet", docs)

    counts = {**summarise(results), "documents": len(docs)}
    manifest.finish(counts, name="manifest.json" if num_shards == 1 else f"manifest-{tag}.json")
    print(f"ocr: {counts['books_in']} books in (done {counts['books_done']}, done before "
          f"{counts['books_done_before']}, errors {counts['books_error']}); pages: text {counts['pages_text']}, "
          f"ocr {counts['pages_ocr']}, error {counts['pages_error']}; {counts['chars']} chars; "
          f"{counts['ocr_boxes_dropped_low_confidence']} low-confidence boxes dropped; "
          f"{counts['documents']} documents -> {out / 'documents'}; errors -> {out / f'errors-{tag}.jsonl'}")
    return counts


def cli(argv: list[str] | None = None) -> int:
    """The command: exit status 1 when any book went to the errors file (the others are still done)."""
    try:
        counts = main(argv)
    except (OcrBackendError, FileNotFoundError, ValueError) as err:  # user errors: one line, no traceback
        raise SystemExit(f"data_collection.ocr: error: {err}") from None
    return 1 if counts["books_error"] else 0


if __name__ == "__main__":
    sys.exit(cli())
