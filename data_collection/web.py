"""Saved medical web pages (.html files or WARC archives) -> document shards (no live crawling here).

    python -m data_collection.web --config configs/data_collection/web.yaml --input saved_pages/ --output out/
    python -m data_collection.web --input crawl.warc.gz --lang ja --output out/ --num_proc 4
    sbatch --array=0-9 ...  python -m data_collection.web ...   # --shard_index/--num_shards from the Slurm array

Each page's bytes are decoded with its declared encoding when it fits, else a detected one
(data_collection/sources/page_encoding.py: a Latin-1 page without a charset is read as Latin-1, not Czech). The main
text is extracted with trafilatura (navigation, footers and boilerplate removed); the title and url go to `meta`.
The language is detected offline (py3langid, restricted to `languages`, on the first `langid_max_chars`
characters: enough for a sure guess at any page size) unless `--lang` is given. Pages with no main text, too
little text, an undetectable or unwanted language, an unknown encoding, a non-HTML payload or more than
`max_page_mb` megabytes are dropped, counted, and written to the rejects file with the reason.

Outputs under --output:
  documents/website-part-<i>-of-<n>.parquet   this task's documents: source "website", meta: url, title, file, date
  rejects-<i>-of-<n>.jsonl                    dropped pages: where, reason
  _parts/                                     one part per input file (its documents and rejects), joined above
  config.yaml, manifest.json (manifest-<i>-of-<n>.json when sharded: its counts describe the task's shard)

Runs on common/run.py (docs/run.md): each input file is a unit, given to a task by a hash of its name (so a file
added before a rerun moves no other file to another task) and skipped on a rerun only when its content and the
settings in DEPENDS_ON are those its part was made with (else an error naming what changed, or with
`--on_mismatch redo` it is converted again: never a shard mixed from two settings). Every run joins the task's
parts into its shard again, so a file added before a rerun reaches it. A file that cannot be read (corrupt WARC)
fails alone: listed in errors.jsonl with the reason, no pages from it, the other files' pages are written, the
exit status is 1, and a rerun retries it.
"""

from __future__ import annotations

import functools
import gzip
import json
import sys
import zlib
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from common.cli import UserError, cli
from common.config import bad, load_config
from common.languages import LANGUAGES, by_code
from common.records import RejectLog, UnreadableFileError, write_json, write_jsonl
from common.run import OnMismatch, Run, Unit
from data_collection.documents import DocumentShardWriter, iter_document_shard, make_doc_id
from data_collection.shards import find_named_inputs, resolve_shard_args, safe_output_name
from data_collection.sources.page_encoding import UndecodableError, decode_page

HTML_SUFFIXES = (".html", ".htm", ".xhtml")
WARC_SUFFIXES = (".warc", ".warc.gz")
PARTS = "_parts"  # a `_` name: never read as input by expand_inputs or find_named_inputs
# the settings a file's documents depend on (num_proc and sharding change nothing in them)
DEPENDS_ON = ("lang", "languages", "min_lang_prob", "min_chars", "include_tables", "favor", "langid_max_chars",
              "max_page_mb")
COUNTS = ("pages_in", "kept", "no_main_text", "too_short", "language_uncertain", "undecodable", "not_html",
          "extraction_failed", "too_large")


@dataclass
class WebConfig:
    input: list[str] = field(metadata={"help": "saved .html files, WARC files, folders (recursive) or globs"})
    output: str = field(metadata={"help": "output folder"})
    lang: str | None = field(default=None, metadata={"help": "language of every page; null = detect per page"})
    languages: list[str] = field(default_factory=lambda: [x.code for x in LANGUAGES],
                                 metadata={"help": "languages to keep (detection is restricted to them)"})
    min_lang_prob: float = field(default=0.6, metadata={"help": "drop pages whose detected language is less sure"})
    langid_max_chars: int = field(default=2000, metadata={"help": "characters of main text given to language ID"})
    min_chars: int = field(default=100, metadata={"help": "drop pages with fewer characters of main text"})
    include_tables: bool = field(default=True, metadata={"help": "keep the text of tables"})
    favor: Literal["balanced", "precision", "recall"] = field(default="balanced", metadata={
        "help": "what trafilatura favours when it finds the main text"})
    max_page_mb: float = field(default=20.0, metadata={
        "help": "larger pages are rejected, counted as too_large (beyond trafilatura's own 20 MB limit a page "
                "came back as 'no main text'); raise it for long pages: parsing takes ~10x the page in memory"})
    num_proc: int = field(default=1, metadata={"help": "input files converted in parallel (processes)"})
    shard_index: int | None = field(default=None, metadata={"help": "this task (default SLURM_ARRAY_TASK_ID or 0)"})
    num_shards: int | None = field(default=None, metadata={"help": "tasks (default SLURM_ARRAY_TASK_COUNT or 1)"})
    on_mismatch: OnMismatch = field(default="error", metadata={
        "help": "inputs converted with other settings: error, or redo (delete and convert again)"})

    def validate(self) -> None:
        for key, codes in (("languages", self.languages), ("lang", [self.lang] if self.lang else [])):
            for code in codes:
                try:
                    by_code(code)
                except ValueError as err:
                    bad(key, str(err))
        if self.max_page_mb <= 0:
            bad("max_page_mb", f"must be > 0, got {self.max_page_mb}")
        for name in ("num_proc", "langid_max_chars"):
            if getattr(self, name) < 1:
                bad(name, f"must be at least 1, got {getattr(self, name)}")


@dataclass
class Page:
    where: str  # file, or file#record-id for WARC records
    html: bytes
    url: str | None
    content_type: str | None = None  # the HTTP header (WARC): may name the charset


# ---------------------------------------------------------------------------------------------------- inputs


def find_inputs(specs: list[str]) -> list[tuple[Path, str]]:
    """(path, name relative to its input root) of saved pages and WARC files, sorted by name; the name is what
    ids and meta.file use."""
    return find_named_inputs(specs, keep=lambda p: p.name.lower().endswith(HTML_SUFFIXES + WARC_SUFFIXES))


def check_gzip_complete(path: Path) -> None:
    """Raise UnreadableFileError when a gzip file is cut off: warcio reads a truncated .warc.gz to where it
    stops without a word, so the pages after the cut would be lost in silence."""
    try:
        with gzip.open(path, "rb") as f:
            while f.read(1 << 20):
                pass
    except (EOFError, OSError, zlib.error) as err:
        raise UnreadableFileError(f"{path}: not a complete gzip file ({type(err).__name__}: {err})") from err


def iter_warc_pages(path: Path, rel: str, rejects: RejectLog, counts: Counter) -> Iterator[Page]:
    """HTML responses of a WARC file; other responses are rejected with their content type. A file cut short
    (a record shorter than its Content-Length, bytes after the last whole record) raises UnreadableFileError."""
    from warcio.archiveiterator import ArchiveIterator

    if path.name.lower().endswith(".gz"):
        check_gzip_complete(path)
    with open(path, "rb") as f:
        records = ArchiveIterator(f)
        for record in records:
            if record.rec_type != "response":
                continue
            url = record.rec_headers.get_header("WARC-Target-URI")
            where = f"{rel}#{record.rec_headers.get_header('WARC-Record-ID')}"
            ctype = (record.http_headers.get_header("Content-Type") if record.http_headers else None) or ""
            html = record.content_stream().read()
            if record.raw_stream.limit:
                raise UnreadableFileError(f"{path}: record {where} is cut short ({record.raw_stream.limit} bytes "
                                          "of its Content-Length missing)")
            if "html" not in ctype.lower():
                counts["pages_in"] += 1
                counts["not_html"] += 1
                rejects.add(where, f"not an HTML response (Content-Type {ctype or 'missing'!r})", url)
                continue
            yield Page(where, html, url, ctype)
        records.read_to_end()
        if records.offset < path.stat().st_size:
            raise UnreadableFileError(f"{path}: {path.stat().st_size - records.offset} bytes after the last whole "
                                      "record are not a WARC record (a file cut short?)")


def iter_pages(path: Path, rel: str, rejects: RejectLog, counts: Counter) -> Iterator[Page]:
    """The pages of one input file (a WARC's HTML responses, or the saved page itself)."""
    if path.name.lower().endswith(WARC_SUFFIXES):
        yield from iter_warc_pages(path, rel, rejects, counts)
    else:
        yield Page(rel, path.read_bytes(), None)


# ---------------------------------------------------------------------------------------------------- steps


@functools.lru_cache(maxsize=8)
def language_identifier(languages: tuple[str, ...]):
    """py3langid with normalised probabilities, restricted to our languages (the model ships in the wheel)."""
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    identifier.set_languages(list(languages))
    return identifier


def detect_language(text: str, languages: list[str] | tuple[str, ...], max_chars: int = 2000) -> tuple[str, float]:
    """(language, probability) of the first `max_chars` characters: on a whole long page the normalised
    probability of py3langid collapses (a 600K-character English page scored "uncertain")."""
    lang, prob = language_identifier(tuple(sorted(languages))).classify(text[:max_chars])
    return lang, float(prob)


def extract_main_text(html: str, url: str | None, cfg: WebConfig) -> dict | None:
    """trafilatura's main text and metadata, or None when the page has none."""
    import trafilatura

    if not html or not html.strip():
        return None
    # no extensive date search: it turns a footer's "(c) 2024" into a publication date of 2024-01-01
    doc = trafilatura.bare_extraction(html, url=url, with_metadata=True, include_comments=False,
                                      config=_trafilatura_config(int(cfg.max_page_mb * 2**20)),
                                      date_extraction_params={"extensive_search": False, "original_date": True},
                                      include_tables=cfg.include_tables, favor_precision=cfg.favor == "precision",
                                      favor_recall=cfg.favor == "recall")
    if doc is None or not (doc.text or "").strip():
        return None
    return {"text": doc.text.strip(), "title": doc.title, "url": doc.url or url, "date": doc.date,
            "sitename": doc.sitename}


@functools.lru_cache(maxsize=4)
def _trafilatura_config(max_bytes: int):
    """trafilatura's settings with its page-size limit at ours (its own 20 MB limit returns "nothing found")."""
    from trafilatura.settings import use_config

    config = use_config()
    config.set("DEFAULT", "MAX_FILE_SIZE", str(max_bytes))
    return config


def page_to_document(page: Page, cfg: WebConfig, rejects: RejectLog, counts: Counter) -> dict | None:
    if len(page.html) > cfg.max_page_mb * 2**20:
        counts["too_large"] += 1
        rejects.add(page.where, f"page of {len(page.html) / 2**20:.1f} MB is larger than max_page_mb "
                                f"({cfg.max_page_mb:g})", page.url)
        return None
    try:
        html, _ = decode_page(page.html, page.content_type)
    except UndecodableError as err:
        counts["undecodable"] += 1
        rejects.add(page.where, f"cannot decode: {err}", page.url)
        return None
    try:
        extracted = extract_main_text(html, page.url, cfg)
    except Exception as err:  # noqa: BLE001 - one page trafilatura/lxml cannot parse is a reject, not a lost file
        counts["extraction_failed"] += 1
        rejects.add(page.where, f"extraction failed: {type(err).__name__}: {err}", page.url)
        return None
    if extracted is None:
        counts["no_main_text"] += 1
        rejects.add(page.where, "no main text found (empty or boilerplate-only page)", page.url)
        return None
    text = extracted["text"]
    if len(text) < cfg.min_chars:
        counts["too_short"] += 1
        rejects.add(page.where, f"too short after extraction ({len(text)} < {cfg.min_chars} chars)", text)
        return None
    lang = cfg.lang
    if lang is None:
        lang, prob = detect_language(text, cfg.languages, cfg.langid_max_chars)
        if prob < cfg.min_lang_prob:
            counts["language_uncertain"] += 1
            rejects.add(page.where, f"language uncertain ({lang} p={prob:.2f} < {cfg.min_lang_prob})", text[:200])
            return None
    meta = {k: v for k, v in {"url": extracted["url"], "title": extracted["title"], "file": page.where,
                              "date": extracted["date"], "sitename": extracted["sitename"]}.items() if v}
    counts["kept"] += 1
    return {"id": make_doc_id("website", page.where), "text": text, "lang": lang, "source": "website",
            "meta": meta}


# ---------------------------------------------------------------------------------------------------- one file


def part_paths(out: Path, rel: str) -> tuple[Path, Path]:
    """An input file's part: its documents and its rejects with counts."""
    stem = safe_output_name(rel)
    return out / PARTS / f"{stem}.parquet", out / PARTS / f"{stem}.rejects.json"


def convert_file(unit: Unit) -> dict:
    """One input file (a unit) -> its part: documents, and rejects with the counts of every page."""
    cfg: WebConfig = unit.payload
    docs_path, rejects_path = part_paths(Path(cfg.output), unit.name)
    rejects = RejectLog(None)
    counts: Counter = Counter(dict.fromkeys(COUNTS, 0))
    with DocumentShardWriter(docs_path) as writer:  # nothing is written when the file cannot be read to its end
        for page in iter_pages(Path(unit.inputs[0]), unit.name, rejects, counts):
            counts["pages_in"] += 1
            doc = page_to_document(page, cfg, rejects, counts)
            if doc is not None:
                writer.add(doc)
    write_json(rejects_path, {"counts": dict(counts), "rejects": rejects.items})
    return {"outputs": [str(docs_path), str(rejects_path)]}


# ---------------------------------------------------------------------------------------------------- main


def check_task_count(out: Path, num: int) -> None:
    """Shards of a run with another number of tasks would hold the same pages twice beside ours."""
    other = sorted(p.name for p in (out / "documents").glob("website-part-*-of-*.parquet")
                   if not p.name.endswith(f"-of-{num:05d}.parquet"))
    if other:
        raise UserError(f"{out / 'documents'}: holds shards of a run with another number of tasks ({other[0]}); "
                        f"rerun with that number of tasks, or use another output folder")


def join_parts(units: list[Unit], out: Path, shard: Path, rejects_file: Path) -> tuple[Counter, Counter]:
    """This task's shard and rejects from the parts of its done units (in name order); their counts, and the
    documents per language."""
    counts: Counter = Counter(dict.fromkeys(COUNTS, 0))
    by_lang: Counter = Counter()
    rejects: list[dict] = []
    with DocumentShardWriter(shard) as writer:
        for unit in units:
            docs_path, rejects_path = part_paths(out, unit.name)
            for doc in iter_document_shard(docs_path):
                writer.add(doc)
                by_lang[doc["lang"]] += 1
            part = json.loads(rejects_path.read_text(encoding="utf-8"))
            counts.update(part["counts"])
            rejects.extend(part["rejects"])
    write_jsonl(rejects_file, rejects)
    counts["rejected"] = len(rejects)
    counts["documents"] = writer.count
    return counts, by_lang


def main(argv: list[str] | None = None) -> int:
    # settings and inputs are checked before any work
    cfg = load_config(WebConfig, argv, description=__doc__, prog="python -m data_collection.web")
    files = find_inputs(cfg.input)
    if not files:
        raise UserError(f"key 'input': no saved pages ({', '.join(HTML_SUFFIXES + WARC_SUFFIXES)}) in {cfg.input}")
    out = Path(cfg.output)
    index, num = resolve_shard_args(cfg.shard_index, cfg.num_shards)
    tag = f"{index:05d}-of-{num:05d}"
    shard = out / "documents" / f"website-part-{tag}.parquet"
    with Run("data_collection.web", out, cfg, task=(index, num), depends_on=DEPENDS_ON,
             on_mismatch=cfg.on_mismatch) as run:
        check_task_count(out, num)
        units = run.slice([Unit(rel, inputs=(str(path),), payload=cfg) for path, rel in files], stable=True)
        run.map(convert_file, units, workers=cfg.num_proc)
        failed = {f["unit"] for f in run.failed}
        counts, by_lang = join_parts([u for u in units if u.name not in failed], out, shard,
                                     out / f"rejects-{tag}.jsonl")
        run.counts.update(counts)
        run.extra["by_lang"] = dict(by_lang)
        c = run.counts
        print(f"web: {len(units)} files ({c['units_skipped_done']} done before, {c['units_failed']} failed), "
              f"{c['pages_in']} pages in; {c['documents']} documents out ({run.extra['by_lang']}); rejected "
              f"{c['rejected']} (no main text {c['no_main_text']}, too short {c['too_short']}, language "
              f"uncertain {c['language_uncertain']}, undecodable {c['undecodable']}, too large {c['too_large']}) "
              f"-> {shard}")
    return run.exit_code


if __name__ == "__main__":
    sys.exit(cli(main, "python -m data_collection.web"))
