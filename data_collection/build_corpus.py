"""Assemble document shards of every source into the corpus: clean, check language, deduplicate, decontaminate.

    python -m data_collection.build_corpus --config configs/data_collection/build_corpus.yaml \\
        --input out/filtered/documents,out/textbooks/documents,out/web/documents --output out/corpus

Two stages (`--stage all` runs both):
1. `clean` (per input shard; shard-parallel with --num_proc, or a Slurm array via shard_index/num_shards):
   Unicode/whitespace normalisation, boilerplate lines (repeated in >= boilerplate_min_docs documents of the
   shard) stripped, documents shorter than min_chars dropped, language checked with py3langid (mismatches
   counted; dropped or kept by `langid`). Writes _work/cleaned/<name>.parquet + .stats.json + .done (resumable).
2. `assemble` (per language, one process each; needs every shard cleaned): exact and MinHash near-duplicate
   removal within and across sources, keeping the higher-priority source (source_priority); decontamination
   against MMedBench test questions (and benchmark_files); output <output>/<lang>/part-NNNNN.parquet, with a
   <lang>.done marker written last, and removed/ lists. Then stats.json, stats.md, stats.png over all languages.

Input shards: the document record (DESIGN.md; data_collection/documents.py), parquet or JSONL. Parquet files
without `id` and `text` columns (e.g. the filter's rejected_scores) are skipped and counted.
"""

from __future__ import annotations

import json
import multiprocessing as mp
import shutil
import sys
import time
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from common.config import load_config
from common.languages import LANGUAGES, by_code
from common.manifest import RunManifest
from common.records import RejectLog, iter_jsonl, iter_records, record_format, write_json, write_jsonl
from data_collection.clean import boilerplate_lines, min_chars_for, normalise_text, strip_lines
from data_collection.corpus_stats import TokenCounter, add_to, new_bucket, write_stats
from data_collection.decontaminate import ContaminationIndex, build_index
from data_collection.dedup import Deduplicator
from data_collection.documents import DocumentShardWriter, iter_document_shard, normalise_document
from data_collection.filter import ShardTask, plan_tasks
from data_collection.langid import agrees, detect
from data_collection.shards import (
    done_marker_path,
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


@dataclass
class BuildCorpusConfig:
    input: list[str] = field(default_factory=list, metadata={
        "help": "document shards of any source: globs, files, folders (parquet or JSONL); comma list"})
    output: str = field(default="", metadata={"help": "corpus folder: <lang>/ shards, stats.*, removed/"})
    stage: str = field(default="all", metadata={"help": "clean | assemble | all"})
    languages: list[str] = field(default_factory=list, metadata={"help": "keep only these (empty: all 8)"})
    min_chars: dict[str, int] = field(default_factory=lambda: {"default": 200, "zh": 80, "ja": 80}, metadata={
        "help": "minimum characters after cleaning, per language ('default' for the rest)"})
    boilerplate_min_docs: int = field(default=5, metadata={
        "help": "a line repeated in this many documents of one shard is boilerplate (0: off)"})
    boilerplate_max_chars: int = field(default=200, metadata={"help": "only lines up to this long can be boilerplate"})
    langid: str = field(default="drop", metadata={
        "help": "documents whose detected language differs from `lang`: drop | keep (counted either way) | off"})
    langid_max_chars: int = field(default=2000, metadata={"help": "characters given to the language identifier"})
    dedup_exact: bool = field(default=True, metadata={"help": "remove exact duplicates (normalised text hash)"})
    dedup_near: bool = field(default=True, metadata={"help": "remove near duplicates (MinHash LSH)"})
    minhash_threshold: float = field(default=0.8, metadata={"help": "estimated Jaccard similarity for near dups"})
    minhash_num_perm: int = field(default=128, metadata={"help": "MinHash signature length"})
    shingle_size: int = field(default=5, metadata={"help": "words (zh/ja: characters) per shingle"})
    source_priority: list[str] = field(default_factory=lambda: list(DEFAULT_PRIORITY), metadata={
        "help": "which copy of a duplicate survives: earlier sources win; unlisted sources rank last"})
    mmedbench_test: str | None = field(default=None, metadata={
        "help": "MMedBench Test/ folder for decontamination (null: none)"})
    benchmark_files: list[str] = field(default_factory=list, metadata={
        "help": "more benchmark test files (JSONL/parquet with `question`) to decontaminate against"})
    decontam_word_n: int = field(default=13, metadata={"help": "n-gram length in words (space-delimited)"})
    decontam_char_n: int = field(default=50, metadata={"help": "n-gram length in characters (zh, ja)"})
    tokenizer: str = field(default="artifacts/tiny-llama", metadata={
        "help": "local HF tokenizer dir for token counts (e.g. a Llama 3 dir)"})
    rows_per_shard: int = field(default=50000, metadata={"help": "documents per output parquet shard"})
    num_proc: int = field(default=1, metadata={"help": "processes for the clean stage"})
    shard_index: int | None = field(default=None, metadata={"help": "clean-stage slice (default: Slurm array)"})
    num_shards: int | None = field(default=None, metadata={"help": "clean-stage slices (default: Slurm array)"})
    plot: bool = field(default=True, metadata={"help": "write stats.png"})
    progress: bool = field(default=True, metadata={"help": "show progress bars"})


def _cleaned_path(cfg: BuildCorpusConfig, task: ShardTask) -> Path:
    return Path(cfg.output) / "_work" / "cleaned" / f"{task.name}.parquet"


# ------------------------------------------------------------------------------------------ stage 1: clean
def _iter_input_docs(path: str, rejects: RejectLog) -> Iterator[tuple[str, dict | None]]:
    """(where, document or None when invalid) for each record of a document shard."""
    if record_format(path) == "parquet":
        import pyarrow.parquet as pq

        pf = pq.ParquetFile(path)
        row = 0
        for batch in pf.iter_batches(batch_size=1024):
            for rec in batch.to_pylist():
                yield f"{path}:row {row}", _checked(rec, f"{path}:row {row}", rejects)
                row += 1
    else:  # JSONL (invalid lines are logged and counted) or a HF dataset dir
        for where, rec in iter_records(path, "skip", rejects):
            yield where, _checked(rec, where, rejects)


def _checked(rec: dict, where: str, rejects: RejectLog) -> dict | None:
    try:
        return normalise_document(rec)
    except (ValueError, TypeError) as err:  # counted and logged, never dropped silently
        rejects.add(where, str(err), {k: rec.get(k) for k in ("id", "lang", "source")})
        return None


def is_document_shard(path: str) -> bool:
    """Parquet: has id and text columns. JSONL: first record has id and text."""
    if record_format(path) == "parquet":
        import pyarrow.parquet as pq

        names = set(pq.read_schema(path).names)
        return {"id", "text"} <= names
    if record_format(path) == "jsonl":
        for _, rec in iter_jsonl(path, "skip", RejectLog(None)):
            return "id" in rec and "text" in rec
        return True
    return True  # a HF dataset dir: records are checked one by one


def clean_shard(task: ShardTask, cfg: BuildCorpusConfig) -> dict:
    t0 = time.monotonic()
    out = _cleaned_path(cfg, task)
    rejects = RejectLog(None)
    wanted = set(cfg.languages) or {x.code for x in LANGUAGES}
    boiler: set[bytes] = set()
    if cfg.boilerplate_min_docs > 0:  # pass 1: line counts of this shard
        texts = (normalise_text(d["text"]) for _, d in _iter_input_docs(task.path, RejectLog(None)) if d)
        boiler = boilerplate_lines(texts, cfg.boilerplate_min_docs, cfg.boilerplate_max_chars)
    by_lang: dict[str, dict[str, int]] = {}

    def bump(lang: str, key: str, n: int = 1) -> None:
        by_lang.setdefault(lang, dict.fromkeys(CLEAN_COUNTS, 0))[key] += n

    with DocumentShardWriter(out) as writer:
        for _, doc in _iter_input_docs(task.path, rejects):
            lang = doc["lang"] if doc else "unknown"
            bump(lang, "docs_in")
            if doc is None:
                bump(lang, "bad_records")
                continue
            if lang not in wanted:
                bump(lang, "other_language")
                continue
            text, removed = strip_lines(normalise_text(doc["text"]), boiler)
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
            writer.add({**doc, "text": text})
            bump(lang, "docs_out")
    c = {k: sum(v[k] for v in by_lang.values()) for k in CLEAN_COUNTS}
    if rejects.count:
        write_jsonl(out.with_name(out.name.replace(".parquet", ".rejects.jsonl")), rejects.items)
    stats = {"input": task.path, **c, "by_lang": by_lang, "seconds": round(time.monotonic() - t0, 3)}
    write_shard_stats(out, stats)
    mark_done(out, {"input": task.path})
    return stats


def _clean_worker(args: tuple[ShardTask, BuildCorpusConfig]) -> tuple[ShardTask, dict | None, str | None]:
    task, cfg = args
    try:
        return task, clean_shard(task, cfg), None
    except (OSError, ValueError, EOFError, zlib.error) as err:  # recorded; other shards go on
        return task, None, f"{type(err).__name__}: {err}"


def run_clean(cfg: BuildCorpusConfig, tasks: list[ShardTask]) -> tuple[list[dict], list[dict]]:
    from tqdm import tqdm

    shard_index, num_shards = resolve_shard_args(cfg.shard_index, cfg.num_shards)
    mine = slice_for_task(tasks, shard_index, num_shards)
    todo = [t for t in mine if not is_done(_cleaned_path(cfg, t))]
    print(f"clean: {len(mine)} shard(s) in this task, {len(mine) - len(todo)} already done", flush=True)
    jobs = [(t, cfg) for t in todo]
    if cfg.num_proc > 1 and len(todo) > 1:
        pool = mp.get_context("fork").Pool(min(cfg.num_proc, len(todo)))
        results = pool.imap_unordered(_clean_worker, jobs)
    else:
        pool, results = None, map(_clean_worker, jobs)
    errors = []
    for task, _stats, err in tqdm(results, total=len(jobs), unit="shard", disable=not cfg.progress, file=sys.stderr):
        if err is not None:
            errors.append({"file": task.path, "reason": err})
    if pool is not None:
        pool.close()
        pool.join()
    done_stats = [read_shard_stats(_cleaned_path(cfg, t)) for t in mine if is_done(_cleaned_path(cfg, t))]
    return done_stats, errors


# ------------------------------------------------------------------------------------------ stage 2: assemble
def _cleaned_docs(paths: list[Path], lang: str) -> Iterator[dict]:
    for path in paths:
        for doc in iter_document_shard(path):
            if doc["lang"] == lang:
                yield doc


def assemble_language(lang: str, paths: list[Path], cfg: BuildCorpusConfig, index: ContaminationIndex,
                      counter: TokenCounter) -> dict:
    """Dedup + decontaminate one language's cleaned documents into <output>/<lang>/; returns its stats."""
    out = Path(cfg.output)
    space = by_code(lang).space_delimited
    dedup = Deduplicator(space, cfg.source_priority, near=cfg.dedup_near, threshold=cfg.minhash_threshold,
                         num_perm=cfg.minhash_num_perm, shingle_size=cfg.shingle_size)
    ids = []
    for doc in _cleaned_docs(paths, lang):  # pass 1: keys and signatures only
        dedup.add(doc["id"], doc["text"], doc["source"])
        ids.append((doc["id"], doc["source"]))
    drop = dedup.resolve() if (cfg.dedup_exact or cfg.dedup_near) else {}
    if not cfg.dedup_exact:
        drop = {i: r for i, r in drop.items() if r != "exact"}
    steps = {"docs_in": len(ids), "exact_duplicates": sum(r == "exact" for r in drop.values()),
             "near_duplicates": sum(r == "near" for r in drop.values()), "contaminated": 0, "docs_out": 0}
    removed_dups = [{"id": ids[i][0], "source": ids[i][1], "reason": r} for i, r in sorted(drop.items())]
    contaminated: list[dict] = []
    per_lang = {"docs": 0, "chars": 0, "tokens": 0, "by_source": {}}
    tmp_dir = out / f".{lang}.tmp"
    shutil.rmtree(tmp_dir, ignore_errors=True)
    part, writer, batch = 0, None, []
    for i, doc in enumerate(_cleaned_docs(paths, lang)):  # pass 2: write survivors
        if i in drop:
            continue
        hit = index.check(doc["text"], lang)
        if hit is not None:
            contaminated.append({"id": doc["id"], "lang": lang, "source": doc["source"],
                                 "benchmark_item": hit.benchmark_id, "ngram": hit.ngram})
            continue
        if writer is None or writer.count >= cfg.rows_per_shard:
            if writer is not None:
                writer.__exit__(None, None, None)
            writer = DocumentShardWriter(tmp_dir / f"part-{part:05d}.parquet").__enter__()
            part += 1
        writer.add(doc)
        batch.append(doc)
        if len(batch) >= 256:
            _count_tokens(batch, counter, per_lang)
            batch = []
    _count_tokens(batch, counter, per_lang)
    if writer is not None:
        writer.__exit__(None, None, None)
    tmp_dir.mkdir(parents=True, exist_ok=True)
    steps["contaminated"] = len(contaminated)
    steps["docs_out"] = per_lang["docs"]
    write_jsonl(out / "removed" / f"duplicates.{lang}.jsonl", removed_dups)
    write_jsonl(out / "removed" / f"contaminated.{lang}.jsonl", contaminated)
    final = out / lang
    shutil.rmtree(final, ignore_errors=True)
    tmp_dir.replace(final)
    result = {**per_lang, "steps": steps}
    write_json(done_marker_path(out / f"{lang}.parquet"), result)  # <output>/<lang>.done, written last
    return result


def _count_tokens(batch: list[dict], counter: TokenCounter, per_lang: dict) -> None:
    for doc, n_tokens in zip(batch, counter.count([d["text"] for d in batch])):
        add_to(per_lang, len(doc["text"]), n_tokens)
        add_to(per_lang["by_source"].setdefault(doc["source"], new_bucket()), len(doc["text"]), n_tokens)


# ------------------------------------------------------------------------------------------ main
def _documents_tasks(cfg: BuildCorpusConfig) -> tuple[list[ShardTask], int]:
    tasks = plan_tasks(cfg.input)
    docs = [t for t in tasks if is_document_shard(t.path)]
    return docs, len(tasks) - len(docs)


def run(cfg: BuildCorpusConfig) -> int:
    if not cfg.input or not cfg.output:
        raise SystemExit("error: --input and --output are required")
    if cfg.stage not in ("clean", "assemble", "all") or cfg.langid not in ("drop", "keep", "off"):
        raise SystemExit("error: stage must be clean|assemble|all and langid drop|keep|off")
    cfg.languages = [by_code(x).code for x in cfg.languages]
    out = Path(cfg.output)
    manifest = RunManifest("data_collection.build_corpus", out, cfg)
    tasks, skipped = _documents_tasks(cfg)
    print(f"build_corpus: {len(tasks)} document shard(s) ({skipped} non-document parquet/JSONL file(s) skipped)")
    counts: dict = {"input_shards": len(tasks), "skipped_files": skipped}
    errors: list[dict] = []
    shard_index, num_shards = resolve_shard_args(cfg.shard_index, cfg.num_shards)
    tag = f".task-{shard_index}-of-{num_shards}" if cfg.stage == "clean" and num_shards > 1 else ""
    if cfg.stage in ("clean", "all"):
        clean_stats, errors = run_clean(cfg, tasks)
        write_jsonl(out / f"errors.clean{tag}.jsonl", errors)
        counts["clean"] = {k: sum(s[k] for s in clean_stats) for k in CLEAN_COUNTS}
        print("clean: " + ", ".join(f"{k} {v}" for k, v in counts["clean"].items()))
    if cfg.stage in ("assemble", "all") and not errors:
        result = run_assemble(cfg, tasks)
        if result is None:
            return 1
        counts["assemble"] = result
    manifest.finish(counts, name=f"manifest{tag}.json")
    if errors:
        print(f"error: {len(errors)} shard(s) failed in cleaning, listed in {out / f'errors.clean{tag}.jsonl'}; "
              "the corpus was not assembled", file=sys.stderr)
        return 1
    print(f"output: {out}")
    return 0


def run_assemble(cfg: BuildCorpusConfig, tasks: list[ShardTask]) -> dict | None:
    out = Path(cfg.output)
    missing = [t.path for t in tasks if not is_done(_cleaned_path(cfg, t))]
    if missing:
        print(f"error: {len(missing)} shard(s) not cleaned yet (run --stage clean for every slice): {missing[:3]}",
              file=sys.stderr)
        return None
    clean_stats = {t.name: read_shard_stats(_cleaned_path(cfg, t)) for t in tasks}
    # per language, only the cleaned shards that kept documents of it (each is read twice: keys, then output)
    paths_by_lang: dict[str, list[Path]] = {}
    for t in tasks:
        for lang, c in clean_stats[t.name]["by_lang"].items():
            if c["docs_out"] > 0:
                paths_by_lang.setdefault(lang, []).append(_cleaned_path(cfg, t))
    langs = [x for x in (cfg.languages or [x.code for x in LANGUAGES]) if x in paths_by_lang]
    index = build_index(cfg.mmedbench_test, cfg.benchmark_files, cfg.decontam_word_n, cfg.decontam_char_n)
    print(f"decontamination index: {index.items} benchmark item(s), {len(index)} n-gram(s)")
    counter = TokenCounter(cfg.tokenizer)
    per_lang: dict[str, dict] = {}
    for lang in langs:
        marker = done_marker_path(out / f"{lang}.parquet")
        if marker.exists():
            per_lang[lang] = json.loads(marker.read_text(encoding="utf-8"))
        else:
            per_lang[lang] = assemble_language(lang, paths_by_lang[lang], cfg, index, counter)
    clean_by_lang: dict[str, dict] = {}
    for st in clean_stats.values():
        for lang, c in st["by_lang"].items():
            row = clean_by_lang.setdefault(lang, dict.fromkeys(CLEAN_COUNTS, 0))
            for k in CLEAN_COUNTS:
                row[k] += c[k]
    for lang in clean_by_lang:  # languages whose documents were all dropped while cleaning still get a row
        if lang in LANGUAGE_CODES and lang not in per_lang and (not cfg.languages or lang in cfg.languages):
            per_lang[lang] = {"docs": 0, "chars": 0, "tokens": 0, "by_source": {},
                              "steps": {"exact_duplicates": 0, "near_duplicates": 0, "contaminated": 0,
                                        "docs_out": 0}}
    for lang, v in per_lang.items():
        c = clean_by_lang.get(lang, {})
        v["steps"] = {**{k: c.get(k, 0) for k in ("docs_in", "bad_records", "too_short", "lang_mismatch",
                                                  "lang_dropped")},
                      **{k: x for k, x in v["steps"].items() if k != "docs_in"}}
    per_lang = {k: v for k, v in per_lang.items() if v["docs"] or any(v["steps"].values())}
    stats = write_stats(out, per_lang, counter.name) if cfg.plot else {}
    print((out / "stats.md").read_text(encoding="utf-8") if cfg.plot else json.dumps(per_lang, indent=1))
    return {lang: v["steps"] for lang, v in per_lang.items()} | {"total_tokens": stats.get("total_tokens")}


def main(argv: list[str] | None = None) -> int:
    cfg = load_config(BuildCorpusConfig, argv, description=__doc__, prog="python -m data_collection.build_corpus")
    return run(cfg)


if __name__ == "__main__":
    sys.exit(main())
