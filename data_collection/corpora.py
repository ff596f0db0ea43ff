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

Outputs under --output: documents/<kind>-<lang>-<input name>.parquet, rejects/<kind>-<lang>-<input name>.jsonl
(malformed lines with file:line and reason), config.yaml, manifest.json (manifest-<i>-of-<n>.json per array task).

Runs on common/run.py (docs/run.md): each input file is a unit, skipped on a rerun only when its content, the
selection (the titles or keyword list itself, not just its path) and the settings in DEPENDS_ON are those it was
made with; other settings are an error naming what changed, or with `--on_mismatch redo` the file is converted
again: never a folder mixed from two settings. A file added before a rerun is converted; a file that cannot be
read (a truncated .gz) or, with `--on_bad_record error`, holds a malformed line fails alone: it is listed in
errors.jsonl with the reason (file:line), the others are converted, the exit status is 1, and a rerun retries it.
Ids come from the content (the Wikipedia article id; a Baike entry's title and text; a UFAL document's
sentences), so an inserted line changes no other document's id.
"""

from __future__ import annotations

import gzip
import json
import re
import sys
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from common.cli import UserError, cli
from common.config import bad, load_config
from common.languages import by_code
from common.records import OnBadRecord, RejectLog, handle_bad_record, json_error, surrogate_problem
from common.run import OnMismatch, Run, Unit, digest
from data_collection.documents import DocumentShardWriter, make_doc_id
from data_collection.filtering.keyword_lists import keyword_list
from data_collection.filtering.matcher import PAPER_THRESHOLDS, KeywordMatcher, keep
from data_collection.shards import find_named_inputs, resolve_shard_args, safe_output_name

# the settings a converted file depends on (the titles, keywords and this language's thresholds enter through
# Selector.key: by their content, not a file name)
DEPENDS_ON = ("kind", "lang", "select", "min_chars", "ufal_pair", "ufal_data_types", "ufal_doc_chars")


@dataclass
class CorporaConfig:
    kind: Literal["wikipedia", "baike", "ufal"] = field(metadata={"help": "the source (also the first positional argument)"})
    input: list[str] = field(metadata={"help": "files, folders (recursive) or globs"})
    output: str = field(metadata={"help": "output folder"})
    lang: str | None = field(default=None, metadata={
        "help": "wikipedia: the dump's language (required); baike: zh; ufal: the side to take (required)"})
    select: Literal["keywords", "titles", "all"] = field(default="keywords", metadata={
        "help": "wikipedia/baike: by the MKC/DENS keyword filter, by the titles of --titles_file, or all"})
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
    on_bad_record: OnBadRecord = field(default="skip", metadata={
        "help": "a malformed line: skip (written to rejects/, counted) or error (stop with file:line)"})
    num_proc: int = field(default=1, metadata={"help": "input files converted in parallel (processes)"})
    shard_index: int | None = field(default=None, metadata={"help": "this task (default SLURM_ARRAY_TASK_ID or 0)"})
    num_shards: int | None = field(default=None, metadata={"help": "tasks (default SLURM_ARRAY_TASK_COUNT or 1)"})
    on_mismatch: OnMismatch = field(default="error", metadata={
        "help": "inputs converted with other settings: error, or redo (delete and convert again)"})

    def validate(self) -> None:
        if self.lang is None and self.kind != "baike":
            bad("lang", f"{self.kind} needs it ({'the dump language' if self.kind == 'wikipedia' else 'the side to take'})")
        try:
            by_code(self.lang or "zh")
        except ValueError as err:
            bad("lang", str(err))
        if self.select == "titles" and not self.titles_file:
            bad("titles_file", "--select titles needs it (one title or Category:Name per line)")
        for name in ("num_proc", "ufal_doc_chars"):
            if getattr(self, name) < 1:
                bad(name, f"must be at least 1, got {getattr(self, name)}")


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
            handle_bad_record(f"{rel}:{lineno}", f"invalid JSON ({json_error(err)})", line[:500],
                              cfg.on_bad_record, rejects)
            continue
        if not isinstance(rec, dict):
            handle_bad_record(f"{rel}:{lineno}", f"expected a JSON object, got {type(rec).__name__}", line[:500],
                              cfg.on_bad_record, rejects)
            continue
        if problem := surrogate_problem(line, rec):  # one record, counted: not a crash of the whole file later
            handle_bad_record(f"{rel}:{lineno}", problem, line[:500], cfg.on_bad_record, rejects)
            continue
        yield lineno, rec


# ---------------------------------------------------------------------------------------------------- selection


class Selector:
    """Keeps medical records: by the MKC/DENS keyword filter, by a list of titles/categories, or all."""

    def __init__(self, cfg: CorporaConfig, lang: str):
        self.mode = cfg.select
        self.titles: set[str] = set()
        self.categories: set[str] = set()
        if self.mode == "titles":
            for line in Path(cfg.titles_file).read_text(encoding="utf-8").splitlines():
                name = line.strip()
                if name.lower().startswith("category:"):
                    self.categories.add(name.split(":", 1)[1].strip().casefold())
                elif name and not name.startswith("#"):
                    self.titles.add(name.casefold())
        self.words: tuple[str, ...] = ()
        if self.mode == "keywords":
            if lang not in cfg.thresholds:
                raise ValueError(f"key 'thresholds': no keyword-filter thresholds for language {lang!r}")
            try:
                self.t_mkc, self.t_dens = int(cfg.thresholds[lang]["mkc"]), float(cfg.thresholds[lang]["dens"])
            except (KeyError, TypeError, ValueError):
                raise ValueError(f"key 'thresholds.{lang}': needs numbers mkc and dens, got "
                                 f"{cfg.thresholds[lang]!r}") from None
            kw_list = keyword_list(lang, keywords_dir=cfg.keywords_dir)
            self.matcher, self.words = KeywordMatcher.for_list(kw_list), kw_list.words

    def key(self) -> str:
        """A digest of what it selects by (the titles, categories or keywords themselves, not a file name)."""
        thresholds = [self.t_mkc, self.t_dens] if self.mode == "keywords" else []
        return digest([self.mode, sorted(self.titles), sorted(self.categories), list(self.words), thresholds])

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
    seen: Counter = Counter()
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
        seen[text] += 1  # the id is the content's (a line inserted above moves nothing); repeats are numbered
        yield {"id": make_doc_id("baike", rel, text, seen[text]), "text": text, "lang": lang, "source": "baike",
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
        # sentences are unique in a file (repeats are dropped), so the text names the document
        return {"id": make_doc_id("ufal", rel, lang, text), "text": text, "lang": lang, "source": "ufal",
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


def convert_file(unit: Unit) -> dict:
    """One input file (a unit) -> documents/<kind>-<lang>-<name>.parquet and rejects/<name>.jsonl; its counts."""
    cfg: CorporaConfig = unit.payload
    path, out = Path(unit.inputs[0]), Path(cfg.output)
    # kind and language in the name: shards of every source can sit side by side as build_corpus input
    name = f"{cfg.kind}-{cfg.lang}-{safe_output_name(unit.name)}"
    shard, reject_path = out / "documents" / f"{name}.parquet", out / "rejects" / f"{name}.jsonl"
    reject_path.unlink(missing_ok=True)  # this unit's own; a redo with no rejects must not leave the old ones
    rejects = RejectLog(reject_path)
    counts: Counter = Counter()
    with DocumentShardWriter(shard) as writer:
        for doc in CONVERTERS[cfg.kind](path, unit.name, cfg, cfg.lang, rejects, counts):
            writer.add(doc)
    rejects.close()
    print(f"  {unit.name}: {counts['records']} records, {writer.count} documents, {rejects.count} rejected",
          flush=True)
    return {**counts, "documents": writer.count, "rejected": rejects.count,
            "outputs": [str(p) for p in (shard, reject_path) if p.exists()]}


def main(argv: list[str] | None = None) -> int:
    # settings, inputs and the selection (titles file, keyword list) are checked before any work
    cfg = load_config(CorporaConfig, argv, description=__doc__, prog="python -m data_collection.corpora",
                      positional=("kind",))
    cfg.lang = by_code(cfg.lang or "zh").code  # baike is Chinese; validate() asked the others for --lang
    selection = Selector(cfg, cfg.lang).key() if cfg.kind in ("wikipedia", "baike") else ""
    files = find_files(cfg.input)
    skipped = []
    if cfg.kind == "ufal":  # a folder of the release holds every pair: take the files that have our side
        skipped = [rel for _, rel in files if (cols := ufal_columns(rel, cfg)) is not None and cfg.lang not in cols]
        files = [(p, rel) for p, rel in files if rel not in skipped]
    if not files:
        raise UserError("key 'input': no input files" + (f" with a {cfg.lang!r} side" if skipped else "")
                        + f" in {cfg.input}")
    out = Path(cfg.output)
    task = resolve_shard_args(cfg.shard_index, cfg.num_shards)
    with Run(f"data_collection.corpora {cfg.kind}", out, cfg, task=task, depends_on=DEPENDS_ON,
             on_mismatch=cfg.on_mismatch) as run:
        for rel in skipped:
            print(f"  {rel}: skipped (no {cfg.lang} side)")
        # in the manifest also when nothing ran
        run.counts.update(dict.fromkeys(("records", "documents", "not_medical", "too_short", "rejected"), 0))
        run.counts["files_without_lang"] = len(skipped)
        units = run.slice([Unit(rel, inputs=(str(path),), key=selection, payload=cfg) for path, rel in files])
        run.map(convert_file, units, workers=cfg.num_proc)
        c = run.counts
        print(f"corpora {cfg.kind} ({cfg.lang}): {len(units)} files ({c['units_skipped_done']} done before, "
              f"{c['units_failed']} failed), {c['records']} records in; {c['documents']} documents out; not "
              f"medical {c['not_medical']}, too short {c['too_short']}, rejected (malformed) {c['rejected']} "
              f"-> {out / 'documents'}")
    return run.exit_code


if __name__ == "__main__":
    sys.exit(cli(main, "python -m data_collection.corpora"))
