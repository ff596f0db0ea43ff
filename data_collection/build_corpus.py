"""Assemble document shards of every source into the corpus: clean, check language, deduplicate, decontaminate.

    python -m data_collection.build_corpus --config configs/data_collection/build_corpus.yaml \\
        --input out/filtered/documents,out/textbooks/documents,out/web/documents --output out/corpus

Stages (`--stage all` runs them in order in one process; at scale each runs as a Slurm array,
scripts/slurm/build_corpus_array.sbatch, the units of a stage split by shard_index/num_shards):
1. clean (unit: input shard): Unicode/whitespace normalisation, boilerplate lines (repeated in >=
   boilerplate_min_docs documents of the shard) stripped, documents shorter than min_chars dropped, language
   checked with fastText lid.176 (mismatches counted; dropped or kept by `langid`).
   -> _work/cleaned/<name>.parquet + .stats.json
2. signature (unit: language x cleaned shard): datatrove MinHash signatures (data_collection/corpus/dt_dedup.py) and
   which documents share an n-gram with a benchmark test question.
3. buckets (unit: language x band): datatrove's bucket stage, duplicate pairs per band (+ one exact-key band).
4. cluster (unit: language): clusters of duplicates; the copy from the earliest source in source_priority survives.
5. filter (unit: language x cleaned shard): duplicates and contaminated documents dropped, survivors written to
   <output>/<lang>/part-<i>.parquet, tokens counted.
6. stats (one task): removed/ lists, stats.json, stats.md, stats.png.
`--stage assemble` runs 2-6. Every unit is recorded done with a fingerprint (common/run.py): a rerun skips the units
whose inputs and settings are unchanged. An input added before a rerun is cleaned, and every language it holds is
deduplicated again from stage 2 (so are the languages of a removed input); an input changed since, or a setting the
output depends on, is a one-line error naming it (or, with `on_mismatch: redo`, that work is redone).
A unit that fails (an unreadable input) is listed in errors*.jsonl and the others go on (exit 1); the next stage
refuses to start until every unit of the one before it is done.

Input shards: the document record (DESIGN.md; data_collection/documents.py), parquet or JSONL. Parquet files
without `id` and `text` columns (e.g. the filter's rejected_scores) are skipped and counted; JSONL records are
checked one by one (bad lines and invalid records are counted as bad_records and listed next to the cleaned shard).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from common.cli import UserError, cli
from common.config import load_config
from common.languages import LANGUAGES, by_code
from common.records import RejectLog, iter_parquet, iter_records, record_format, write_jsonl
from common.run import ON_MISMATCH, Run, Unit, config_values, digest, input_identity
from data_collection.corpus.clean import boilerplate_lines, min_chars_for, normalise_text, strip_lines
from data_collection.documents import DocumentShardWriter, normalise_document
from data_collection.filter import ShardTask, plan_tasks
from data_collection.shards import read_shard_stats, resolve_shard_args, stats_path, write_shard_stats

COMMAND = "data_collection.build_corpus"
CLEAN_COUNTS = ("docs_in", "bad_records", "other_language", "too_short", "lang_mismatch", "lang_dropped",
                "boilerplate_lines", "docs_out")
LANGUAGE_CODES = {x.code for x in LANGUAGES}
DEFAULT_PRIORITY = ["textbook", "website", "wikipedia", "baike", "ufal", "web"]
STAGES = ("clean", "signature", "buckets", "cluster", "filter", "stats")
# config fields each output depends on (a change is a mismatch of that work; others, e.g. num_proc, are not)
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
    progress: bool = field(default=True, metadata={"help": "print a line per stage (units run and skipped)"})
    on_mismatch: str = field(default="error", metadata={
        "help": "work done with another input or settings: error (one line naming what changed) | redo"})


_LANGID_BATCH = 1024  # documents given to language ID at once


def _cleaned_path(cfg: BuildCorpusConfig, task: ShardTask) -> Path:
    return Path(cfg.output) / "_work" / "cleaned" / f"{task.name}.parquet"


# ------------------------------------------------------------------------------------------ stage 1: clean
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
    done = [read_shard_stats(_cleaned_path(cfg, t)) for t in tasks if run.is_done(clean_unit(cfg, t))]
    return {k: sum(st[k] for st in done) for k in CLEAN_COUNTS}


# ------------------------------------------------------------------------------------------ main
def _documents_tasks(cfg: BuildCorpusConfig) -> tuple[list[ShardTask], int]:
    tasks = plan_tasks(cfg.input)
    docs = [t for t in tasks if is_document_shard(t.path)]
    return docs, len(tasks) - len(docs)


def check_config(cfg: BuildCorpusConfig) -> None:
    """Everything that can be checked before hours of work: a one-line error naming the key or path."""
    if not cfg.input or not cfg.output:
        raise UserError("--input and --output are required")
    if cfg.stage not in ("all", "assemble", *STAGES):
        raise UserError(f"key 'stage': must be all, assemble or one of {', '.join(STAGES)}; got {cfg.stage!r}")
    if cfg.langid not in ("drop", "keep", "off"):
        raise UserError(f"key 'langid': must be drop, keep or off; got {cfg.langid!r}")
    if cfg.on_mismatch not in ON_MISMATCH:
        raise UserError(f"key 'on_mismatch': must be one of {', '.join(ON_MISMATCH)}; got {cfg.on_mismatch!r}")
    try:
        cfg.languages = [by_code(x).code for x in cfg.languages]
    except ValueError as err:
        raise UserError(f"key 'languages': {err}") from None
    if cfg.stage != "clean":
        from common.token_count import check_tokenizer_dir
        from data_collection.corpus.decontaminate import check_sources

        check_tokenizer_dir(cfg.tokenizer)
        check_sources(cfg.mmedbench_test, cfg.benchmark_files)


def main(argv: list[str] | None = None) -> int:
    from data_collection.corpus import stages as corpus_dedup

    cfg = load_config(BuildCorpusConfig, argv, description=__doc__, prog=f"python -m {COMMAND}")
    check_config(cfg)
    index, num = resolve_shard_args(cfg.shard_index, cfg.num_shards)
    if num > 1 and cfg.stage in ("all", "assemble"):
        raise UserError(f"--stage {cfg.stage} runs whole stages in one task: give one stage per array "
                        "(scripts/slurm/build_corpus_array.sbatch), or num_shards 1")
    tasks, skipped = _documents_tasks(cfg)
    print(f"build_corpus: {len(tasks)} document shard(s) ({skipped} non-document parquet file(s) skipped)")
    # the tasks of each stage's array write their own manifest; the lock is per task, across stages
    manifest = "manifest.json" if num == 1 else f"manifest.{cfg.stage}-{index:05d}-of-{num:05d}.json"
    with Run(COMMAND, cfg.output, cfg, task=(index, num), depends_on=CLEAN_FIELDS, on_mismatch=cfg.on_mismatch,
             manifest_name=manifest) as run:
        run.counts.update(input_shards=len(tasks), skipped_files=skipped)
        if cfg.stage in ("clean", "all"):
            units = run.slice([clean_unit(cfg, t) for t in tasks])
            map_stage(cfg, run, "clean", clean_shard, units)
            mine = {u.name for u in units}  # an array task counts (and logs) its own shards, not the stage's
            run.counts["clean"] = clean_totals(cfg, [t for t in tasks if clean_unit(cfg, t).name in mine], run)
            print(f"clean{' (this task)' if num > 1 else ''}: "
                  + ", ".join(f"{k} {v}" for k, v in run.counts["clean"].items()))
        if cfg.stage != "clean" and not run.failed:
            corpus_dedup.run_assemble(cfg, tasks, run)
    if run.failed:
        print(f"error: {len(run.failed)} unit(s) failed, listed in {cfg.output}/errors*.jsonl; rerun to retry "
              "them", file=sys.stderr)
    else:
        print(f"output: {cfg.output}")
    return run.exit_code


def map_stage(cfg: BuildCorpusConfig, run: Run, stage: str, fn, units: list[Unit]) -> None:
    """Run a stage's units of this task (skipping done ones, capturing failures) and say what happened."""
    failed_before = len(run.failed)
    ran = len(run.map(fn, units, workers=cfg.num_proc, context="fork"))
    failed = len(run.failed) - failed_before
    if cfg.progress:
        print(f"{stage}: {len(units)} unit(s) in this task: {ran} done now, {len(units) - ran - failed} done "
              f"before, {failed} failed", flush=True)


if __name__ == "__main__":
    sys.exit(cli(main, f"python -m {COMMAND}"))
