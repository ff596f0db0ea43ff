"""Saved medical web pages (.html files or WARC archives) -> document shards (no live crawling here).

    python -m data_collection.web --config configs/data_collection/web.yaml --input saved_pages/ --output out/
    python -m data_collection.web --input crawl.warc.gz --lang ja --output out/
    sbatch --array=0-9 ...  python -m data_collection.web ...   # --shard_index/--num_shards from the Slurm array

The main text of each page is extracted with trafilatura (navigation, footers and boilerplate removed); the title
and url go to `meta`. The language is detected offline (py3langid, restricted to `languages`) unless `--lang` is
given. Pages with no main text, too little text, an undetectable or unwanted language, or a non-HTML payload are
dropped, counted, and written to the rejects file with the reason.

Outputs under --output:
  documents/website-part-<i>-of-<n>.parquet (+ .stats.json, .done)   source "website", meta: url, title, file, date
  rejects-<i>-of-<n>.jsonl                                     dropped pages: where, reason
  errors-<i>-of-<n>.jsonl            files that could not be read (corrupt WARC, I/O error): {"file", "reason"};
                                     the pages read before the failure are kept, the shard is not marked done
                                     (a rerun redoes it) and the command exits 1
  config.yaml, manifest.json (manifest-<i>-of-<n>.json when sharded)
"""

from __future__ import annotations

import functools
import sys
import zlib
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from common.config import load_config
from common.languages import LANGUAGES, by_code
from common.manifest import RunManifest
from common.records import RejectLog, write_jsonl
from data_collection.documents import make_doc_id, write_document_shard
from data_collection.shards import (
    find_named_inputs,
    is_done,
    mark_done,
    resolve_shard_args,
    slice_for_task,
    write_shard_stats,
)

HTML_SUFFIXES = (".html", ".htm", ".xhtml")
WARC_SUFFIXES = (".warc", ".warc.gz")


@dataclass
class WebConfig:
    input: list[str] = field(metadata={"help": "saved .html files, WARC files, folders (recursive) or globs"})
    output: str = field(metadata={"help": "output folder"})
    lang: str | None = field(default=None, metadata={"help": "language of every page; null = detect per page"})
    languages: list[str] = field(default_factory=lambda: [x.code for x in LANGUAGES],
                                 metadata={"help": "languages to keep (detection is restricted to them)"})
    min_lang_prob: float = field(default=0.6, metadata={"help": "drop pages whose detected language is less sure"})
    min_chars: int = field(default=100, metadata={"help": "drop pages with fewer characters of main text"})
    include_tables: bool = field(default=True, metadata={"help": "keep the text of tables"})
    favor: str = field(default="balanced", metadata={"help": "trafilatura: balanced | precision | recall"})
    shard_index: int | None = field(default=None, metadata={"help": "this task (default SLURM_ARRAY_TASK_ID or 0)"})
    num_shards: int | None = field(default=None, metadata={"help": "tasks (default SLURM_ARRAY_TASK_COUNT or 1)"})
    overwrite: bool = field(default=False, metadata={"help": "redo a shard that is already done"})


@dataclass
class Page:
    where: str  # file, or file#record-id for WARC records
    html: str | bytes
    url: str | None


# ---------------------------------------------------------------------------------------------------- inputs


def find_inputs(specs: list[str]) -> list[tuple[Path, str]]:
    """(path, name relative to its input root) of saved pages and WARC files, sorted by name; the name is what
    ids and meta.file use."""
    return find_named_inputs(specs, keep=lambda p: p.name.lower().endswith(HTML_SUFFIXES + WARC_SUFFIXES))


def iter_warc_pages(path: Path, rel: str, rejects: RejectLog) -> Iterator[Page]:
    """HTML responses of a WARC file; other responses are rejected with their content type."""
    from warcio.archiveiterator import ArchiveIterator

    with open(path, "rb") as f:
        for record in ArchiveIterator(f):
            if record.rec_type != "response":
                continue
            url = record.rec_headers.get_header("WARC-Target-URI")
            where = f"{rel}#{record.rec_headers.get_header('WARC-Record-ID')}"
            ctype = (record.http_headers.get_header("Content-Type") if record.http_headers else None) or ""
            if "html" not in ctype.lower():
                rejects.add(where, f"not an HTML response (Content-Type {ctype or 'missing'!r})", url)
                continue
            yield Page(where, record.content_stream().read(), url)


def unreadable_file_errors() -> tuple[type[BaseException], ...]:
    """What reading a damaged input raises: not a WARC, truncated or corrupt gzip, I/O errors."""
    from warcio.exceptions import ArchiveLoadFailed

    return (ArchiveLoadFailed, EOFError, zlib.error, OSError)


def iter_pages(paths: list[tuple[Path, str]], rejects: RejectLog, errors: list[dict]) -> Iterator[Page]:
    """Pages of every input; a file that cannot be read goes to `errors` ({"file", "reason"}) and the rest go on."""
    for path, rel in paths:
        try:
            if path.name.lower().endswith(WARC_SUFFIXES):
                yield from iter_warc_pages(path, rel, rejects)
            else:
                yield Page(rel, path.read_bytes(), None)
        except unreadable_file_errors() as err:
            errors.append({"file": rel, "reason": f"{type(err).__name__}: {err}"})


# ---------------------------------------------------------------------------------------------------- steps


@functools.lru_cache(maxsize=8)
def language_identifier(languages: tuple[str, ...]):
    """py3langid with normalised probabilities, restricted to our languages (the model ships in the wheel)."""
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    identifier.set_languages(list(languages))
    return identifier


def detect_language(text: str, languages: list[str] | tuple[str, ...]) -> tuple[str, float]:
    lang, prob = language_identifier(tuple(sorted(languages))).classify(text)
    return lang, float(prob)


def extract_main_text(html: str | bytes, url: str | None, cfg: WebConfig) -> dict | None:
    """trafilatura's main text and metadata, or None when the page has none."""
    import trafilatura

    if not html or not html.strip():
        return None
    # no extensive date search: it turns a footer's "(c) 2024" into a publication date of 2024-01-01
    doc = trafilatura.bare_extraction(html, url=url, with_metadata=True, include_comments=False,
                                      date_extraction_params={"extensive_search": False, "original_date": True},
                                      include_tables=cfg.include_tables, favor_precision=cfg.favor == "precision",
                                      favor_recall=cfg.favor == "recall")
    if doc is None or not (doc.text or "").strip():
        return None
    return {"text": doc.text.strip(), "title": doc.title, "url": doc.url or url, "date": doc.date,
            "sitename": doc.sitename}


def page_to_document(page: Page, cfg: WebConfig, rejects: RejectLog, counts: Counter) -> dict | None:
    extracted = extract_main_text(page.html, page.url, cfg)
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
        lang, prob = detect_language(text, cfg.languages)
        if prob < cfg.min_lang_prob:
            counts["language_uncertain"] += 1
            rejects.add(page.where, f"language uncertain ({lang} p={prob:.2f} < {cfg.min_lang_prob})", text[:200])
            return None
    meta = {k: v for k, v in {"url": extracted["url"], "title": extracted["title"], "file": page.where,
                              "date": extracted["date"], "sitename": extracted["sitename"]}.items() if v}
    counts["kept"] += 1
    return {"id": make_doc_id("website", page.where), "text": text, "lang": lang, "source": "website",
            "meta": meta}


# ---------------------------------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> dict[str, Any]:
    cfg = load_config(WebConfig, argv, description=__doc__, prog="python -m data_collection.web")
    for code in cfg.languages + ([cfg.lang] if cfg.lang else []):
        by_code(code)
    shard_index, num_shards = resolve_shard_args(cfg.shard_index, cfg.num_shards)
    tag = f"{shard_index:05d}-of-{num_shards:05d}"
    out = Path(cfg.output)
    shard_path = out / "documents" / f"website-part-{tag}.parquet"
    manifest = RunManifest("data_collection.web", out, cfg)
    if is_done(shard_path) and not cfg.overwrite:
        print(f"web: shard {tag} already done ({shard_path}); --overwrite to redo")
        return {"skipped_done": 1}

    paths = slice_for_task(find_inputs(cfg.input), shard_index, num_shards)
    rejects = RejectLog(out / f"rejects-{tag}.jsonl")
    counts: Counter = Counter(dict.fromkeys(("pages_in", "kept", "no_main_text", "too_short", "language_uncertain"), 0))
    docs: list[dict] = []
    errors: list[dict] = []
    for page in iter_pages(paths, rejects, errors):
        counts["pages_in"] += 1
        doc = page_to_document(page, cfg, rejects, counts)
        if doc is not None:
            docs.append(doc)
    counts["rejected"] = rejects.count
    counts["by_lang"] = dict(Counter(d["lang"] for d in docs))
    counts["files_error"] = len(errors)
    write_document_shard(shard_path, docs)
    write_shard_stats(shard_path, dict(counts))
    rejects.close()
    write_jsonl(out / f"errors-{tag}.jsonl", errors)
    if not errors:  # with unread files the shard is incomplete: a rerun (after fixing them) redoes it
        mark_done(shard_path, {"documents": len(docs)})
    manifest.finish(dict(counts), name="manifest.json" if num_shards == 1 else f"manifest-{tag}.json")
    print(f"web: {len(paths)} files, {counts['pages_in']} pages in; {counts['kept']} documents out "
          f"({counts['by_lang']}); rejected {counts['rejected']} (no main text {counts['no_main_text']}, too short "
          f"{counts['too_short']}, language uncertain {counts['language_uncertain']}) -> {shard_path}; "
          f"unreadable files {len(errors)} -> {out / f'errors-{tag}.jsonl'}")
    return dict(counts)


def cli(argv: list[str] | None = None) -> int:
    """The command: exit status 1 when an input file could not be read (the other pages are still converted)."""
    try:
        counts = main(argv)
    except (FileNotFoundError, ValueError) as err:
        raise SystemExit(f"data_collection.web: error: {err}") from None
    return 1 if counts.get("files_error") else 0


if __name__ == "__main__":
    sys.exit(cli())
