"""Assemble document shards of every source into the corpus: clean, check language, deduplicate, decontaminate.

    python -m data_collection.build_corpus --config configs/data_collection/build_corpus.yaml \\
        --input out/filtered/documents,out/textbooks/documents,out/web/documents --output out/corpus

Stages (`--stage all` runs them in order in one process; at scale each runs as a Slurm array,
scripts/slurm/build_corpus_array.sbatch, the units of a stage split by shard_index/num_shards):
1. clean (unit: input shard): Unicode/whitespace normalisation, boilerplate lines (repeated in >=
   boilerplate_min_docs documents of the shard) stripped, documents shorter than min_chars dropped, language
   checked with fastText lid.176 (mismatches counted; dropped or kept by `langid`).
   -> _work/cleaned/<name>.parquet + .stats.json + .done
2. signature (unit: language x cleaned shard): datatrove MinHash signatures (data_collection/dt_dedup.py) and
   which documents share an n-gram with a benchmark test question.
3. buckets (unit: language x band): datatrove's bucket stage, duplicate pairs per band (+ one exact-key band).
4. cluster (unit: language): clusters of duplicates; the copy from the earliest source in source_priority survives.
5. filter (unit: language x cleaned shard): duplicates and contaminated documents dropped, survivors written to
   <output>/<lang>/part-<i>.parquet, tokens counted.
6. stats (one task): removed/ lists, stats.json, stats.md, stats.png.
`--stage assemble` runs 2-6. Every unit writes a done marker; a rerun skips finished units. A language's work is
redone from stage 2 when its cleaned shards or the settings its output depends on changed (a fingerprint).

Input shards: the document record (DESIGN.md; data_collection/documents.py), parquet or JSONL. Parquet files
without `id` and `text` columns (e.g. the filter's rejected_scores) are skipped and counted; JSONL records are
checked one by one (bad lines and invalid records are counted as bad_records and listed next to the cleaned shard).
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing as mp
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from common.config import config_to_dict, load_config
from common.languages import LANGUAGES, by_code
from common.manifest import RunManifest
from common.records import RejectLog, iter_records, record_format, write_jsonl
from data_collection.clean import boilerplate_lines, min_chars_for, normalise_text, strip_lines
from data_collection.documents import DocumentShardWriter, normalise_document
from data_collection.filter import ShardTask, plan_tasks
from data_collection.shards import (
    is_done,
    mark_done,
    read_shard_stats,
    resolve_shard_args,
    slice_for_task,
    write_shard_stats,
)

CLEAN_COUNTS = ("docs_in", "bad_records", "other_language", "too_short", "lang_mismatch", "lang_dropped",
                "boilerplate_lines", "docs_out")
LANGUAGE_CODES = {x.code for x in LANGUAGES}
DEFAULT_PRIORITY = ["textbook", "website", "wikipedia", "baike", "ufal", "web"]
STAGES = ("clean", "signature", "buckets", "cluster", "filter", "stats")
# config fields each output depends on (a change redoes that work; others, e.g. num_proc, do not)
CLEAN_FIELDS = ("languages", "min_chars", "boilerplate_min_docs", "boilerplate_max_chars", "langid",
                "langid_max_chars")
ASSEMBLE_FIELDS = ("dedup_exact", "dedup_near", "minhash_buckets", "minhash_hashes_per_bucket", "shingle_size",
                   "source_priority", "mmedbench_test", "benchmark_files", "decontam_word_n", "decontam_char_n",
                   "decontam_char_min", "tokenizer")


@dataclass
class BuildCorpusConfig:
    input: list[str] = field(default_factory=list, metadata={
        "help": "document shards of any source: globs, files, folders (parquet or JSONL); comma list"})
    output: str = field(default="", metadata={"help": "corpus folder: <lang>/ shards, stats.*, removed/"})
    stage: str = field(default="all", metadata={
        "help": "all | clean | assemble (signature..stats) | signature | buckets | cluster | filter | stats"})
    languages: list[str] = field(default_factory=list, metadata={"help": "keep only these (empty: all 8)"})
    min_chars: dict[str, int] = field(default_factory=lambda: {"default": 200, "zh": 80, "ja": 80}, metadata={
        "help": "minimum characters after cleaning, per language ('default' for the rest)"})
    boilerplate_min_docs: int = field(default=5, metadata={
        "help": "a line repeated in this many documents of one shard is boilerplate (0: off)"})
    boilerplate_max_chars: int = field(default=200, metadata={"help": "only lines up to this long can be boilerplate"})
    langid: str = field(default="drop", metadata={
        "help": "documents whose detected language differs from `lang`: drop | keep (counted either way) | off"})
    langid_max_chars: int = field(default=1000, metadata={"help": "characters given to the language identifier"})
    dedup_exact: bool = field(default=True, metadata={"help": "remove exact duplicates (normalised text hash)"})
    dedup_near: bool = field(default=True, metadata={"help": "remove near duplicates (datatrove MinHash LSH)"})
    minhash_buckets: int = field(default=14, metadata={
        "help": "LSH bands; with hashes_per_bucket r the similarity at which half the pairs are found is "
                "(1/bands)^(1/r): 14 x 8 gives 0.72 and finds 92% of pairs at 0.8 (datatrove's default)"})
    minhash_hashes_per_bucket: int = field(default=8, metadata={"help": "MinHash values per band"})
    shingle_size: int = field(default=5, metadata={"help": "words (zh/ja: characters) per shingle"})
    source_priority: list[str] = field(default_factory=lambda: list(DEFAULT_PRIORITY), metadata={
        "help": "which copy of a duplicate survives: earlier sources win; unlisted sources rank last"})
    mmedbench_test: str | None = field(default=None, metadata={
        "help": "MMedBench Test/ folder for decontamination (null: none)"})
    benchmark_files: list[str] = field(default_factory=list, metadata={
        "help": "more benchmark test files (JSONL/parquet with `question`) to decontaminate against"})
    decontam_word_n: int = field(default=13, metadata={"help": "n-gram length in words (space-delimited)"})
    decontam_char_n: int = field(default=50, metadata={"help": "n-gram length in characters (zh, ja)"})
    decontam_char_min: int = field(default=10, metadata={
        "help": "zh/ja questions shorter than decontam_char_n but at least this long are matched whole"})
    tokenizer: str = field(default="artifacts/tiny-llama", metadata={
        "help": "local HF tokenizer dir for token counts (e.g. a Llama 3 dir)"})
    num_proc: int = field(default=1, metadata={"help": "processes for the units of a stage"})
    shard_index: int | None = field(default=None, metadata={"help": "this task's slice of a stage's units "
                                                                    "(default: Slurm array)"})
    num_shards: int | None = field(default=None, metadata={"help": "slices (default: Slurm array)"})
    plot: bool = field(default=True, metadata={"help": "write stats.png"})
    progress: bool = field(default=True, metadata={"help": "show progress bars"})


def _fingerprint(cfg: BuildCorpusConfig, fields: tuple[str, ...], *parts: object) -> str:
    values = {k: v for k, v in config_to_dict(cfg).items() if k in fields}
    return hashlib.sha1(json.dumps([values, *parts], sort_keys=True, default=str).encode()).hexdigest()[:16]


def _cleaned_path(cfg: BuildCorpusConfig, task: ShardTask) -> Path:
    return Path(cfg.output) / "_work" / "cleaned" / f"{task.name}.parquet"


# ------------------------------------------------------------------------------------------ stage 1: clean
def _iter_input_docs(path: str, rejects: RejectLog) -> Iterator[tuple[dict | None, str]]:
    """(document or None when invalid, its language or "unknown") for each record of a document shard.
    Invalid records are logged in `rejects` (lines that are not JSON are logged by iter_records itself)."""
    if record_format(path) == "parquet":
        import pyarrow.parquet as pq

        pf = pq.ParquetFile(path)
        row = 0
        for batch in pf.iter_batches(batch_size=2048):
            for rec in batch.to_pylist():
                yield _checked(rec, f"{path}:row {row}", rejects)
                row += 1
    else:  # JSONL or a HF dataset dir
        for where, rec in iter_records(path, "skip", rejects):
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


def clean_shard(task: ShardTask, cfg: BuildCorpusConfig) -> dict:
    """Clean one input shard into _work/cleaned/<name>.parquet; returns its counts per language."""
    from data_collection.langid import agrees, detect

    t0 = time.monotonic()
    out = _cleaned_path(cfg, task)
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
        for doc in docs:
            lang = doc["lang"]
            text, removed = strip_lines(doc["text"], boiler)
            bump(lang, "boilerplate_lines", removed)
            if len(text) < min_chars_for(lang, cfg.min_chars):
                bump(lang, "too_short")
                continue
            if cfg.langid != "off":
                detected = detect(text, cfg.langid_max_chars)
                if not agrees(detected, lang):
                    bump(lang, "lang_mismatch")
                    doc["meta"]["langid"] = detected
                    if cfg.langid == "drop":
                        bump(lang, "lang_dropped")
                        continue
            doc["text"] = text
            writer.add(doc)
            bump(lang, "docs_out")
    if rejects.count:
        write_jsonl(out.with_name(out.name.replace(".parquet", ".rejects.jsonl")), rejects.items)
    c = {k: sum(v[k] for v in by_lang.values()) for k in CLEAN_COUNTS}
    fp = _fingerprint(cfg, CLEAN_FIELDS, task.path)
    stats = {"input": task.path, **c, "by_lang": by_lang, "seconds": round(time.monotonic() - t0, 3), "fp": fp}
    write_shard_stats(out, stats)
    mark_done(out, {"input": task.path, "fp": fp})
    return stats


def _clean_done(cfg: BuildCorpusConfig, task: ShardTask) -> bool:
    """Done with the same input and cleaning settings (otherwise it is cleaned again)."""
    out = _cleaned_path(cfg, task)
    return is_done(out) and read_shard_stats(out).get("fp") == _fingerprint(cfg, CLEAN_FIELDS, task.path)


# ------------------------------------------------------------------------------------------ running units
@dataclass
class Unit:
    name: str  # e.g. "clean en__part-0", "signature en 3"
    fn: Callable[[], dict]
    done: Callable[[], bool]


def _call(unit: Unit) -> tuple[str, dict | None, str | None]:
    try:
        return unit.name, unit.fn(), None
    except Exception as err:  # noqa: BLE001 - one failed unit is recorded; the others go on
        return unit.name, None, f"{type(err).__name__}: {err}"


def run_units(stage: str, units: list[Unit], cfg: BuildCorpusConfig) -> list[dict]:
    """Run this task's slice of a stage's units (skipping done ones); returns the failures."""
    from tqdm import tqdm

    shard_index, num_shards = resolve_shard_args(cfg.shard_index, cfg.num_shards)
    mine = slice_for_task(units, shard_index, num_shards) if cfg.stage == stage else units
    todo = [u for u in mine if not u.done()]
    print(f"{stage}: {len(mine)} unit(s) in this task, {len(mine) - len(todo)} already done", flush=True)
    pool = None
    if cfg.num_proc > 1 and len(todo) > 1:
        pool = mp.get_context("fork").Pool(min(cfg.num_proc, len(todo)))
        results = pool.imap_unordered(_call, todo)
    else:
        results = map(_call, todo)
    errors = [{"unit": name, "reason": err} for name, _, err in
              tqdm(results, total=len(todo), unit=stage, disable=not cfg.progress, file=sys.stderr) if err]
    if pool is not None:
        pool.close()
        pool.join()
    return errors


# ------------------------------------------------------------------------------------------ main
def _documents_tasks(cfg: BuildCorpusConfig) -> tuple[list[ShardTask], int]:
    tasks = plan_tasks(cfg.input)
    docs = [t for t in tasks if is_document_shard(t.path)]
    return docs, len(tasks) - len(docs)


def _check_args(cfg: BuildCorpusConfig) -> None:
    """Everything that can be checked before hours of work: a one-line error naming the field or path."""
    if not cfg.input or not cfg.output:
        raise SystemExit("error: --input and --output are required")
    if cfg.stage not in ("all", "assemble", *STAGES):
        raise SystemExit(f"error: --stage must be all, assemble or one of {', '.join(STAGES)}; got {cfg.stage!r}")
    if cfg.langid not in ("drop", "keep", "off"):
        raise SystemExit(f"error: --langid must be drop, keep or off; got {cfg.langid!r}")
    try:
        cfg.languages = [by_code(x).code for x in cfg.languages]
    except ValueError as err:
        raise SystemExit(f"error: --languages: {err}") from None
    if cfg.stage != "clean":
        from data_collection.decontaminate import check_sources
        from data_collection.token_count import check_tokenizer_dir

        try:
            check_tokenizer_dir(cfg.tokenizer)
            check_sources(cfg.mmedbench_test, cfg.benchmark_files)
        except (FileNotFoundError, ValueError) as err:
            raise SystemExit(f"error: {err}") from None


def run(cfg: BuildCorpusConfig) -> int:
    from data_collection import corpus_dedup

    _check_args(cfg)
    out = Path(cfg.output)
    manifest = RunManifest("data_collection.build_corpus", out, cfg)
    try:
        tasks, skipped = _documents_tasks(cfg)
    except (FileNotFoundError, ValueError) as err:
        raise SystemExit(f"error: {err}") from None
    print(f"build_corpus: {len(tasks)} document shard(s) ({skipped} non-document parquet file(s) skipped)")
    counts: dict = {"input_shards": len(tasks), "skipped_files": skipped}
    shard_index, num_shards = resolve_shard_args(cfg.shard_index, cfg.num_shards)
    tag = f".{cfg.stage}.task-{shard_index}-of-{num_shards}" if num_shards > 1 else ""
    errors: list[dict] = []
    if cfg.stage in ("clean", "all"):
        units = [Unit(f"clean {t.name}", lambda t=t: clean_shard(t, cfg), lambda t=t: _clean_done(cfg, t))
                 for t in tasks]
        errors = [{"file": t.path, **e} for e in run_units("clean", units, cfg)
                  for t in tasks if e["unit"] == f"clean {t.name}"]
        done = [read_shard_stats(_cleaned_path(cfg, t)) for t in tasks if _clean_done(cfg, t)]
        counts["clean"] = {k: sum(s[k] for s in done) for k in CLEAN_COUNTS}
        print("clean: " + ", ".join(f"{k} {v}" for k, v in counts["clean"].items()))
    if cfg.stage != "clean" and not errors:
        errors, counts["assemble"] = corpus_dedup.run_assemble(cfg, tasks, manifest)
    write_jsonl(out / f"errors{tag}.jsonl", errors)
    manifest.finish(counts, name=f"manifest{tag}.json", failed_units=len(errors))
    if errors:
        print(f"error: {len(errors)} unit(s) failed, listed in {out / f'errors{tag}.jsonl'}: "
              f"{errors[0].get('file', errors[0]['unit'])}: {errors[0]['reason']}", file=sys.stderr)
        return 1
    print(f"output: {out}")
    return 0


def main(argv: list[str] | None = None) -> int:
    cfg = load_config(BuildCorpusConfig, argv, description=__doc__, prog="python -m data_collection.build_corpus")
    return run(cfg)


if __name__ == "__main__":
    sys.exit(main())
