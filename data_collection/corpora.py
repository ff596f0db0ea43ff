"""Existing corpora -> document shards: Wikipedia (WikiExtractor JSON), Baidu Baike (JSON lines), UFAL Medical Corpus.

    python -m data_collection.corpora wikipedia --input enwiki_extracted/ --lang en --output out/wikipedia
    python -m data_collection.corpora wikipedia --input frwiki/ --lang fr --select titles --titles_file med.txt ...
    python -m data_collection.corpora baike --input baike.jsonl --output out/baike
    python -m data_collection.corpora ufal --input UFAL_medical_shuffled/ --lang fr --output out/ufal

Formats (one record per line; .gz read transparently; a folder is searched recursively, WikiExtractor's
extensionless `AA/wiki_00` files included):
  wikipedia  WikiExtractor `--json` output: {"id", "url", "title", "text"} (an optional "categories" list is used
             by --select titles). Kept: medical articles by the keyword filter (MKC/DENS thresholds of
             data_collection.filter), or the titles / `Category:` names listed in --titles_file, or all.
  baike      Baidu Baike: {"title", "summary", "sections": [{"title", "content"}, ...]} (optional "url");
             the text is title, summary and sections in order. Kept by the keyword filter (Chinese) or titles.
  ufal       UFAL Medical Corpus: `shuffled.<l1>-<l2>[.gz]` TSV lines `<l1 sentence>\\t<l2 sentence>\\t<data type>
             \\t<original corpus>`, or plain text, one sentence per line. The side in --lang is taken, rows whose
             data type is not in --ufal_data_types are skipped, repeated sentences dropped, and consecutive
             sentences grouped into documents of about --ufal_doc_chars characters.

Outputs under --output: documents/<kind>-<lang>-<input name>.parquet (+ .stats.json, .done: a rerun skips
finished inputs), rejects/<kind>-<lang>-<input name>.jsonl (malformed lines with file:line and reason),
errors[-<i>-of-<n>].jsonl (input files that could not be read, e.g. a truncated .gz: {"file", "reason"}; the
other files are still converted, the failed ones are not marked done, and the command exits 1),
config.yaml, manifest.json.
"""

from __future__ import annotations

import gzip
import json
import re
import sys
import zlib
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from common.config import load_config
from common.languages import by_code
from common.manifest import RunManifest
from common.records import BadRecordError, RejectLog, handle_bad_record, write_jsonl
from data_collection.documents import DocumentShardWriter, make_doc_id
from data_collection.filter import PAPER_THRESHOLDS
from data_collection.matcher import KeywordMatcher, keep
from data_collection.shards import (
    find_named_inputs,
    is_done,
    mark_done,
    read_shard_stats,
    resolve_shard_args,
    safe_output_name,
    slice_for_task,
    write_shard_stats,
)

KINDS = ("wikipedia", "baike", "ufal")
# what reading a damaged input raises: truncated gzip (EOFError), bad gzip header (BadGzipFile, an OSError),
# corrupt deflate data (zlib.error), and I/O errors
UNREADABLE_FILE_ERRORS = (EOFError, zlib.error, OSError)
SELECT = ("keywords", "titles", "all")


@dataclass
class CorporaConfig:
    kind: str = field(metadata={"help": "wikipedia | baike | ufal (also the first positional argument)"})
    input: list[str] = field(metadata={"help": "files, folders (recursive) or globs"})
    output: str = field(metadata={"help": "output folder"})
    lang: str | None = field(default=None, metadata={
        "help": "wikipedia: the dump's language (required); baike: zh; ufal: the side to take (required)"})
    select: str = field(default="keywords", metadata={
        "help": "wikipedia/baike: keywords (MKC/DENS filter) | titles (--titles_file) | all"})
    titles_file: str | None = field(default=None, metadata={
        "help": "one title per line; `Category:Name` lines match a record's categories"})
    thresholds: dict[str, dict[str, float]] = field(default_factory=lambda: dict(PAPER_THRESHOLDS), metadata={
        "help": "per language {mkc, dens}: keep when MKC >= mkc and DENS >= dens (as data_collection.filter)"})
    keywords_dir: str | None = field(default=None, metadata={"help": "keyword lists <lang>.txt (default: shipped)"})
    min_chars: int = field(default=50, metadata={"help": "drop documents shorter than this"})
    ufal_pair: str | None = field(default=None, metadata={
        "help": "ufal: column languages, e.g. fr-en (default: from the file name, e.g. shuffled.fr-en.gz)"})
    ufal_data_types: list[str] = field(default_factory=lambda: ["medical"], metadata={
        "help": "ufal: keep rows whose 3rd column is one of these (rows without that column are kept)"})
    ufal_doc_chars: int = field(default=5000, metadata={"help": "ufal: sentences per document up to this size"})
    on_bad_record: str = field(default="skip", metadata={
        "help": "a malformed line: skip (written to rejects/, counted) or error (stop with file:line)"})
    shard_index: int | None = field(default=None, metadata={"help": "this task (default SLURM_ARRAY_TASK_ID or 0)"})
    num_shards: int | None = field(default=None, metadata={"help": "tasks (default SLURM_ARRAY_TASK_COUNT or 1)"})
    overwrite: bool = field(default=False, metadata={"help": "redo inputs that are already done"})


# ---------------------------------------------------------------------------------------------------- inputs


def find_files(specs: list[str]) -> list[tuple[Path, str]]:
    """(path, name relative to its input root) for every non-hidden file, sorted by name."""
    return find_named_inputs(specs)


def iter_lines(path: Path, rel: str, cfg: CorporaConfig, rejects: RejectLog) -> Iterator[tuple[int, str]]:
    """(line number, text) of non-blank lines; a line that is not UTF-8 follows the bad-record policy."""
    opener = gzip.open if path.name.endswith(".gz") else open
    with opener(path, "rb") as f:
        for lineno, raw in enumerate(f, 1):
            try:
                line = raw.decode("utf-8").rstrip("\r\n")
            except UnicodeDecodeError as err:
                handle_bad_record(f"{rel}:{lineno}", f"not UTF-8 ({err.reason})", None, cfg.on_bad_record, rejects)
                continue
            if line.strip():
                yield lineno, line


def iter_json_lines(path: Path, rel: str, cfg: CorporaConfig, rejects: RejectLog
                    ) -> Iterator[tuple[int, dict]]:
    for lineno, line in iter_lines(path, rel, cfg, rejects):
        try:
            rec = json.loads(line)
        except json.JSONDecodeError as err:
            handle_bad_record(f"{rel}:{lineno}", f"invalid JSON ({err.msg} at column {err.colno})", line[:500],
                              cfg.on_bad_record, rejects)
            continue
        if not isinstance(rec, dict):
            handle_bad_record(f"{rel}:{lineno}", f"expected a JSON object, got {type(rec).__name__}", line[:500],
                              cfg.on_bad_record, rejects)
            continue
        yield lineno, rec


# ---------------------------------------------------------------------------------------------------- selection


class Selector:
    """Keeps medical records: by the MKC/DENS keyword filter, by a list of titles/categories, or all."""

    def __init__(self, cfg: CorporaConfig, lang: str):
        if cfg.select not in SELECT:
            raise ValueError(f"select must be one of {SELECT}, got {cfg.select!r}")
        self.mode = cfg.select
        self.titles: set[str] = set()
        self.categories: set[str] = set()
        if self.mode == "titles":
            if not cfg.titles_file:
                raise ValueError("--select titles needs --titles_file (one title or Category:Name per line)")
            for line in Path(cfg.titles_file).read_text(encoding="utf-8").splitlines():
                name = line.strip()
                if name.lower().startswith("category:"):
                    self.categories.add(name.split(":", 1)[1].strip().casefold())
                elif name and not name.startswith("#"):
                    self.titles.add(name.casefold())
        if self.mode == "keywords":
            if lang not in cfg.thresholds:
                raise ValueError(f"no keyword-filter thresholds for language {lang!r} in the config")
            self.matcher = KeywordMatcher.for_language(lang, cfg.keywords_dir)
            self.t_mkc = int(cfg.thresholds[lang]["mkc"])
            self.t_dens = float(cfg.thresholds[lang]["dens"])

    def __call__(self, title: str, text: str, categories: list[str] | None = None) -> tuple[bool, dict]:
        """(keep?, score fields to store on the document)."""
        if self.mode == "all":
            return True, {}
        if self.mode == "titles":
            cats = {str(c).split(":", 1)[-1].strip().casefold() for c in (categories or [])}
            return title.casefold() in self.titles or bool(cats & self.categories), {}
        score = self.matcher.score(text)
        return keep(score, self.t_mkc, self.t_dens), {"mkc": score.mkc, "dens": score.dens}


# ---------------------------------------------------------------------------------------------------- converters


def _require_str(rec: dict, key: str) -> str | None:
    value = rec.get(key)
    return value if isinstance(value, str) else None


def wikipedia_documents(path: Path, rel: str, cfg: CorporaConfig, lang: str, rejects: RejectLog,
                        counts: Counter) -> Iterator[dict]:
    select = Selector(cfg, lang)
    for lineno, rec in iter_json_lines(path, rel, cfg, rejects):
        title, text = _require_str(rec, "title"), _require_str(rec, "text")
        if title is None or text is None or rec.get("id") in (None, ""):
            handle_bad_record(f"{rel}:{lineno}", "a WikiExtractor record needs string `title`, `text` and an `id`",
                              rec, cfg.on_bad_record, rejects)
            continue
        counts["records"] += 1
        kept, scores = select(title, text, rec.get("categories"))
        if not kept or len(text.strip()) < cfg.min_chars:
            counts["not_medical" if not kept else "too_short"] += 1
            continue
        yield {"id": make_doc_id("wikipedia", lang, rec["id"]), "text": text.strip(), "lang": lang,
               "source": "wikipedia", "meta": {"title": title, "url": rec.get("url"), "wiki_id": str(rec["id"])},
               **scores}


def baike_text(rec: dict) -> str | None:
    """title, summary, then each section's title and content; None when the record has the wrong shape."""
    title, summary, sections = rec.get("title"), rec.get("summary", ""), rec.get("sections", [])
    if not isinstance(title, str) or not isinstance(summary, (str, type(None))) or not isinstance(sections, list):
        return None
    parts = [title.strip(), (summary or "").strip()]
    for sec in sections:
        if not isinstance(sec, dict) or not isinstance(sec.get("content", ""), str):
            return None
        parts.append("\n".join(x.strip() for x in (str(sec.get("title") or ""), sec.get("content") or "") if x))
    return "\n\n".join(p for p in parts if p)


def baike_documents(path: Path, rel: str, cfg: CorporaConfig, lang: str, rejects: RejectLog,
                    counts: Counter) -> Iterator[dict]:
    select = Selector(cfg, lang)
    for lineno, rec in iter_json_lines(path, rel, cfg, rejects):
        text = baike_text(rec)
        if text is None:
            handle_bad_record(f"{rel}:{lineno}", "a Baike record needs a string `title`, a string `summary` and "
                              "`sections` as a list of {title, content}", rec, cfg.on_bad_record, rejects)
            continue
        counts["records"] += 1
        body = text[len(rec["title"].strip()):]  # score the body: a title alone is not evidence
        kept, scores = select(rec["title"], body, rec.get("categories"))
        if not kept or len(text) < cfg.min_chars:
            counts["not_medical" if not kept else "too_short"] += 1
            continue
        meta = {"title": rec["title"].strip(), "url": rec.get("url"), "line": lineno}
        yield {"id": make_doc_id("baike", rel, lineno), "text": text, "lang": lang, "source": "baike",
               "meta": {k: v for k, v in meta.items() if v is not None}, **scores}


_PAIR = re.compile(r"(?<![a-z])([a-z]{2})-([a-z]{2})(?![a-z])")


def ufal_columns(rel: str, cfg: CorporaConfig) -> list[str] | None:
    """Languages of the TSV columns (from --ufal_pair or the file name), or None for a plain-text file."""
    if cfg.ufal_pair:
        return cfg.ufal_pair.split("-")
    match = _PAIR.search(Path(rel).name)
    return [match.group(1), match.group(2)] if match else None


def _ufal_rows(path: Path, rel: str, cfg: CorporaConfig, lang: str, rejects: RejectLog, counts: Counter
               ) -> Iterator[tuple[int, str, str | None]]:
    """(line, sentence in `lang`, original corpus) of the rows to keep."""
    columns = ufal_columns(rel, cfg)
    if columns is not None and lang not in columns:
        raise ValueError(f"{rel}: columns are {'-'.join(columns)}, which has no {lang!r} side")
    for lineno, line in iter_lines(path, rel, cfg, rejects):
        fields = line.split("\t")
        if columns is None:
            if len(fields) > 1:
                raise ValueError(f"{rel}:{lineno}: tab-separated columns but no language pair in the file name; "
                                 "give --ufal_pair (e.g. fr-en)")
            yield lineno, line.strip(), None
            continue
        if len(fields) < 2 or not fields[0].strip() or not fields[1].strip():
            handle_bad_record(f"{rel}:{lineno}", f"expected 2+ tab-separated columns with text ({len(fields)} "
                              "found or an empty side)", line[:500], cfg.on_bad_record, rejects)
            continue
        if len(fields) >= 3 and fields[2].strip() and fields[2].strip() not in cfg.ufal_data_types:
            counts["other_data_type"] += 1
            continue
        yield lineno, fields[columns.index(lang)].strip(), (fields[3].strip() if len(fields) >= 4 else None)


def ufal_documents(path: Path, rel: str, cfg: CorporaConfig, lang: str, rejects: RejectLog,
                   counts: Counter) -> Iterator[dict]:
    seen: set[int] = set()
    run: list[tuple[int, str, str | None]] = []
    sep = "" if not by_code(lang).space_delimited else " "

    def flush() -> dict:
        text = "\n".join(s for _, s, _ in run)
        origins = sorted({o for _, _, o in run if o})
        return {"id": make_doc_id("ufal", rel, lang, run[0][0]), "text": text, "lang": lang, "source": "ufal",
                "meta": {"file": rel, "lines": [run[0][0], run[-1][0]], "sentences": len(run),
                         "origins": origins}}

    size = 0
    for lineno, sentence, origin in _ufal_rows(path, rel, cfg, lang, rejects, counts):
        counts["records"] += 1
        key = hash(sentence)
        if key in seen:  # the corpus repeats sentences (legal boilerplate, drug labels)
            counts["duplicate_sentences"] += 1
            continue
        seen.add(key)
        run.append((lineno, sentence, origin))
        size += len(sentence) + len(sep)
        if size >= cfg.ufal_doc_chars:
            yield flush()
            run, size = [], 0
    if run and size >= min(cfg.min_chars, cfg.ufal_doc_chars):
        yield flush()
    elif run:
        counts["too_short"] += 1


CONVERTERS = {"wikipedia": wikipedia_documents, "baike": baike_documents, "ufal": ufal_documents}


# ---------------------------------------------------------------------------------------------------- main


def resolve_lang(cfg: CorporaConfig) -> str:
    if cfg.kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, got {cfg.kind!r}")
    lang = cfg.lang or ("zh" if cfg.kind == "baike" else None)
    if lang is None:
        raise ValueError(f"{cfg.kind}: give --lang ({'the dump language' if cfg.kind == 'wikipedia' else 'the side to take'})")
    return by_code(lang).code


def convert_file(path: Path, rel: str, cfg: CorporaConfig, lang: str, out: Path) -> dict:
    """One input file -> documents/<name>.parquet (+stats, +done marker); returns its counts."""
    # kind and language in the name: shards of every source can sit side by side as build_corpus input
    name = f"{cfg.kind}-{lang}-{safe_output_name(rel)}"
    shard = out / "documents" / f"{name}.parquet"
    if is_done(shard) and not cfg.overwrite:
        return {**read_shard_stats(shard), "done_before": 1}
    rejects = RejectLog(out / "rejects" / f"{name}.jsonl")
    counts: Counter = Counter()
    with DocumentShardWriter(shard) as writer:
        for doc in CONVERTERS[cfg.kind](path, rel, cfg, lang, rejects, counts):
            writer.add(doc)
    counts["documents"] = writer.count
    counts["rejected"] = rejects.count
    rejects.close()
    write_shard_stats(shard, dict(counts))
    mark_done(shard, {"documents": writer.count})
    return dict(counts)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    cfg = load_config(CorporaConfig, argv, description=__doc__, prog="python -m data_collection.corpora",
                      positional=("kind",))
    lang = resolve_lang(cfg)
    shard_index, num_shards = resolve_shard_args(cfg.shard_index, cfg.num_shards)
    out = Path(cfg.output)
    files = slice_for_task(find_files(cfg.input), shard_index, num_shards)
    manifest = RunManifest(f"data_collection.corpora {cfg.kind}", out, cfg)
    total: Counter = Counter(dict.fromkeys(("records", "documents", "not_medical", "too_short", "rejected"), 0))
    if cfg.kind == "ufal":  # a folder of the release holds every pair: take the files that have our side
        other = [rel for _, rel in files if (cols := ufal_columns(rel, cfg)) is not None and lang not in cols]
        for rel in other:
            print(f"  {rel}: skipped (no {lang} side)")
        total["files_without_lang"] = len(other)
        files = [(p, rel) for p, rel in files if rel not in other]
    errors = []
    for path, rel in files:
        try:
            counts = convert_file(path, rel, cfg, lang, out)
        except UNREADABLE_FILE_ERRORS as err:  # this file only: record it, convert the others
            if isinstance(err, OSError) and err.filename not in (None, str(path)):
                raise  # another file (titles_file, keywords_dir, the output): a setup problem, not this input
            errors.append({"file": rel, "reason": f"{type(err).__name__}: {err}"})
            print(f"  {rel}: ERROR {errors[-1]['reason']}")
            continue
        total.update({k: v for k, v in counts.items() if isinstance(v, int)})
        print(f"  {rel}: {counts.get('records', 0)} records, {counts.get('documents', 0)} documents, "
              f"{counts.get('rejected', 0)} rejected" + (" (done before)" if counts.get("done_before") else ""))
    total["files"] = len(files)
    total["files_error"] = len(errors)
    tag = "" if num_shards == 1 else f"-{shard_index:05d}-of-{num_shards:05d}"
    write_jsonl(out / f"errors{tag}.jsonl", errors)
    manifest.finish(dict(total), name=f"manifest{tag}.json")
    print(f"corpora {cfg.kind} ({lang}): {len(files)} files, {total['records']} records in; "
          f"{total['documents']} documents out; not medical {total['not_medical']}, too short "
          f"{total['too_short']}, rejected (malformed) {total['rejected']} -> {out / 'documents'}; unreadable "
          f"files {len(errors)} -> {out / f'errors{tag}.jsonl'}")
    return dict(total)


def cli(argv: list[str] | None = None) -> int:
    """The command: exit status 1 when an input file could not be read (the others are still converted)."""
    try:
        total = main(argv)
    except (FileNotFoundError, ValueError, BadRecordError) as err:
        raise SystemExit(f"data_collection.corpora: error: {err}") from None
    return 1 if total["files_error"] else 0


if __name__ == "__main__":
    sys.exit(cli())
