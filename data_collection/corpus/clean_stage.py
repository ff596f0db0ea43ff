"""Stage 1 of the corpus, clean (unit: one input shard): Unicode/whitespace normalisation, boilerplate lines
stripped, short documents dropped, language checked; writes _work/cleaned/<name>.parquet + .stats.json."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

from common.records import RejectLog, iter_parquet, iter_records, record_format, write_jsonl
from common.run import Run, Unit, config_values, digest, input_identity
from data_collection.corpus.clean import boilerplate_lines, min_chars_for, normalise_text, strip_lines
from data_collection.corpus.config import (
    CLEAN_COUNTS,
    CLEAN_FIELDS,
    LANGUAGE_CODES,
    BuildCorpusConfig,
    cleaned_path,
)
from data_collection.documents import DocumentShardWriter, normalise_document
from data_collection.shards import ShardTask, plan_tasks, read_shard_stats, stats_path, write_shard_stats

_LANGID_BATCH = 1024  # documents given to language ID at once


def _iter_input_docs(path: str, rejects: RejectLog) -> Iterator[tuple[dict | None, str]]:
    """(document or None when invalid, its language or "unknown") for each record of a document shard.
    Invalid records are logged in `rejects` (lines that are not JSON are logged by iter_records itself); a
    parquet file that cannot be read raises UnreadableFileError naming it (the unit fails, the others go on)."""
    records = iter_parquet(path, 2048) if record_format(path) == "parquet" else iter_records(path, "skip", rejects)
    for where, rec in records:
        yield _checked(rec, where, rejects)


def _checked(rec: dict, where: str, rejects: RejectLog) -> tuple[dict | None, str]:
    lang = rec.get("lang") if isinstance(rec, dict) else None
    lang = lang.lower() if isinstance(lang, str) and lang.lower() in LANGUAGE_CODES else "unknown"
    try:
        return normalise_document(rec), lang
    except (ValueError, TypeError) as err:  # counted and logged, never dropped silently
        raw = {k: rec.get(k) for k in ("id", "lang", "source")} if isinstance(rec, dict) else None
        rejects.add(where, str(err), raw)
        return None, lang


def is_document_shard(path: str) -> bool:
    """Parquet: has id and text columns (an unreadable file counts as one, so that its error is reported).
    JSONL and HF dataset dirs: always (their records are checked one by one)."""
    if record_format(path) == "parquet":
        import pyarrow.parquet as pq

        try:
            names = set(pq.read_schema(path).names)
        except Exception:  # noqa: BLE001 - reported with the file name by the clean stage
            return True
        return {"id", "text"} <= names
    return True


def clean_unit(cfg: BuildCorpusConfig, task: ShardTask) -> Unit:
    """The clean unit of one input shard (its fingerprint: the shard's content and CLEAN_FIELDS)."""
    # by absolute path: the same file given relative to another folder is the same input
    return Unit(f"clean {task.rel}", inputs=(str(Path(task.path).resolve()),), payload=(cfg, task))


def clean_shard(unit: Unit) -> dict:
    """Clean one input shard into _work/cleaned/<name>.parquet (+ .stats.json with its counts per language and
    the fingerprint that later stages plan with); returns its counts and output files."""
    from data_collection.corpus.langid import agrees, detect_many

    cfg, task = unit.payload
    t0 = time.monotonic()
    out = cleaned_path(cfg, task)
    rejects = RejectLog(None)
    wanted = set(cfg.languages) or LANGUAGE_CODES
    by_lang: dict[str, dict[str, int]] = {}

    def bump(lang: str, key: str, n: int = 1) -> None:
        by_lang.setdefault(lang, dict.fromkeys(CLEAN_COUNTS, 0))[key] += n

    # one read: the shard's wanted documents with their normalised text (the boilerplate count needs them all)
    docs: list[dict] = []
    for doc, lang in _iter_input_docs(task.path, rejects):
        bump(lang, "docs_in")
        if doc is None:
            bump(lang, "bad_records")
        elif lang not in wanted:
            bump(lang, "other_language")
        else:
            doc["text"] = normalise_text(doc["text"])
            docs.append(doc)
    unparsed = rejects.count - sum(c["bad_records"] for c in by_lang.values())
    if unparsed:  # lines that are not JSON at all: no language to count them under
        bump("unknown", "docs_in", unparsed)
        bump("unknown", "bad_records", unparsed)
    boiler: set[bytes] = set()
    if cfg.boilerplate_min_docs > 0:
        boiler = boilerplate_lines((d["text"] for d in docs), cfg.boilerplate_min_docs, cfg.boilerplate_max_chars)
    with DocumentShardWriter(out) as writer:
        for start in range(0, len(docs), _LANGID_BATCH):
            kept = []
            for doc in docs[start:start + _LANGID_BATCH]:
                lang = doc["lang"]
                doc["text"], removed = strip_lines(doc["text"], boiler)
                bump(lang, "boilerplate_lines", removed)
                if len(doc["text"]) < min_chars_for(lang, cfg.min_chars):
                    bump(lang, "too_short")
                else:
                    kept.append(doc)
            detected = (detect_many([d["text"] for d in kept], cfg.langid_max_chars) if cfg.langid != "off"
                        else [d["lang"] for d in kept])
            for doc, found in zip(kept, detected):
                lang = doc["lang"]
                if not agrees(found, lang):
                    bump(lang, "lang_mismatch")
                    doc["meta"]["langid"] = found
                    if cfg.langid == "drop":
                        bump(lang, "lang_dropped")
                        continue
                writer.add(doc)
                bump(lang, "docs_out")
    outputs = [out, stats_path(out)]
    if rejects.count:
        outputs.append(out.with_name(out.name.replace(".parquet", ".rejects.jsonl")))
        write_jsonl(outputs[-1], rejects.items)
    c = {k: sum(v[k] for v in by_lang.values()) for k in CLEAN_COUNTS}
    # what a language's deduplication is planned with: this shard's content and cleaning settings
    fp = digest([config_values(cfg, CLEAN_FIELDS), input_identity(task.path)["digest"]])
    write_shard_stats(out, {"input": task.path, **c, "by_lang": by_lang,
                            "seconds": round(time.monotonic() - t0, 3), "fp": fp})
    return {**c, "outputs": [str(p) for p in outputs]}


def clean_totals(cfg: BuildCorpusConfig, tasks: list[ShardTask], run: Run) -> dict[str, int]:
    """The clean counts summed over every cleaned shard (of all tasks) done with the current settings."""
    done = [read_shard_stats(cleaned_path(cfg, t)) for t in tasks if run.is_done(clean_unit(cfg, t))]
    return {k: sum(st[k] for st in done) for k in CLEAN_COUNTS}


def documents_tasks(cfg: BuildCorpusConfig) -> tuple[list[ShardTask], int]:
    tasks = plan_tasks(cfg.input)
    docs = [t for t in tasks if is_document_shard(t.path)]
    return docs, len(tasks) - len(docs)
