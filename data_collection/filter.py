"""Medical keyword filter (MKC / DENS) over web-corpus shards (CulturaX-style parquet, JSONL, HF datasets).

Keeps a document when MKC >= t_mkc and DENS >= t_dens for its language (thresholds in the config; definition in
data_collection/matcher.py; keyword lists: `keywords: paper` (default, the authors' lists; de/ar: extended) or
`extended`, see data_collection/keyword_lists.py). One output shard per input shard, resumable, shard-parallel:

    python -m data_collection.filter --config configs/data_collection/filter.yaml \\
        --input 'culturax/*/*.parquet' --lang auto --output out/filtered --num_proc 8
    # Slurm: one array task per slice of the input shards (shard_index/num_shards default to the array env)
    sbatch --array=0-99 scripts/slurm/filter_array.sbatch

Output folder:
    documents/<name>.parquet      kept documents (id, text, lang, source, meta (JSON string), mkc, dens)
    documents/<name>.stats.json   docs in / kept / rejected / chars / seconds / keyword list per language
    documents/<name>.done         written last: the shard is finished; a rerun skips it
    rejected_scores/<name>.parquet  (--keep_rejected_scores) id, lang, mkc, dens, n_chars of rejected documents
    rejects/<name>.jsonl          unreadable records (invalid JSON lines) when on_bad_record=skip
    errors[.task-I-of-N].jsonl    shards that could not be read (file, reason); the run then exits non-zero
    config.yaml, manifest[.task-I-of-N].json

`<name>` is the input's path relative to its input root (the folder given, or the non-wildcard part of a glob),
flattened (`en/part_0.parquet` -> `en__part_0`). Document ids are `make_doc_id(source, <that relative path>,
<row index>)`: stable across reruns and machines for the same input root.
"""

from __future__ import annotations

import multiprocessing as mp
import sys
import time
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path

import pyarrow as pa

from common.config import load_config
from common.languages import resolve
from common.manifest import RunManifest
from common.records import (
    RejectLog,
    expand_inputs,
    is_hf_dataset_dir,
    iter_hf_dataset,
    iter_jsonl,
    record_format,
    write_jsonl,
    write_parquet,
)
from data_collection.documents import DocumentShardWriter, make_doc_id
from data_collection.keyword_lists import LIST_NAMES
from data_collection.matcher import PAPER_THRESHOLDS, KeywordRule, Score
from data_collection.shards import (
    is_done,
    mark_done,
    read_shard_stats,
    resolve_shard_args,
    safe_output_name,
    slice_for_task,
    write_shard_stats,
)


@dataclass
class FilterConfig:
    input: list[str] = field(default_factory=list, metadata={
        "help": "input shards: globs, files or folders (parquet, jsonl, jsonl.gz, HF dataset dirs); comma list"})
    output: str = field(default="", metadata={"help": "output folder"})
    lang: str = field(default="auto", metadata={
        "help": "language code of every input, or 'auto': the lang_field column, else the folder/file name"})
    lang_field: str = field(default="lang", metadata={"help": "column holding the language when lang=auto"})
    text_field: str = field(default="text", metadata={"help": "column holding the document text"})
    source: str = field(default="web", metadata={"help": "source name written into each kept document"})
    thresholds: dict[str, dict[str, float]] = field(default_factory=lambda: dict(PAPER_THRESHOLDS), metadata={
        "help": "per language {mkc: int, dens: float}; keep when MKC >= mkc and DENS >= dens"})
    keywords: str = field(default="paper", metadata={
        "help": "keyword lists: paper (the MMedC authors' lists for en zh ja fr ru es; de and ar have none and use "
                "extended) or extended (this project's lists, 8 languages)"})
    keywords_dir: str | None = field(default=None, metadata={
        "help": "folder of your own <lang>.txt keyword lists; overrides `keywords`"})
    num_proc: int = field(default=1, metadata={"help": "worker processes (one input shard at a time each)"})
    shard_index: int | None = field(default=None, metadata={
        "help": "this task's slice of the input shards (default: SLURM_ARRAY_TASK_ID, else 0)"})
    num_shards: int | None = field(default=None, metadata={
        "help": "number of slices (default: SLURM_ARRAY_TASK_COUNT, else 1)"})
    batch_size: int = field(default=1024, metadata={"help": "rows per parquet read batch (bounds memory)"})
    keep_rejected_scores: bool = field(default=False, metadata={
        "help": "also write mkc/dens of rejected documents (rejected_scores/) for threshold tuning"})
    on_bad_record: str = field(default="skip", metadata={
        "help": "an unreadable record (invalid JSON line): skip (logged in rejects/, counted) or error (the "
                "shard fails and is listed in the errors file)"})
    max_shards: int = field(default=0, metadata={"help": "stop after this many shards this run (0: all)"})
    progress: bool = field(default=True, metadata={"help": "show a progress bar"})


# ------------------------------------------------------------------------------------------------ planning
@dataclass(frozen=True)
class ShardTask:
    path: str
    rel: str  # path relative to its input root: the id key and the output name
    name: str


def _input_root(spec: str) -> Path:
    if any(ch in spec for ch in "*?["):
        prefix = spec[: min(spec.index(ch) for ch in "*?[" if ch in spec)]
        return Path(prefix) if prefix.endswith(("/", "\\")) else Path(prefix).parent
    p = Path(spec)
    return p if p.is_dir() and not is_hf_dataset_dir(p) else p.parent


def plan_tasks(specs: list[str]) -> list[ShardTask]:
    """All input shards, in a stable order, each with its relative name and output name (unique)."""
    tasks: dict[str, ShardTask] = {}
    for spec in specs:
        root = _input_root(spec)
        for path in expand_inputs(spec):
            rel = path.relative_to(root).as_posix() if path.is_relative_to(root) else path.name
            name = safe_output_name(rel)
            if name in tasks and tasks[name].path != str(path):
                raise ValueError(f"two inputs map to the same output name {name!r}: {tasks[name].path} and {path}"
                                 " (give them under one common input folder)")
            tasks[name] = ShardTask(str(path), rel, name)
    return sorted(tasks.values(), key=lambda t: t.name)


def language_from_path(path: str) -> str | None:
    """The nearest folder named after a language (`en`, `English`), else a file name starting `en_`/`en-`."""
    p = Path(path)
    for part in reversed(p.parent.parts):
        try:
            return resolve(part).code
        except ValueError:
            continue
    head = p.name.replace("-", "_").replace(".", "_").split("_")[0]
    try:
        return resolve(head).code
    except ValueError:
        return None


# ------------------------------------------------------------------------------------------------ reading
@dataclass
class RowBatch:
    """One read batch of a shard, column-wise: only the text and language columns go through Python for every
    row; whole records are built only for the rows that are kept (`records`)."""

    start: int  # row index of the first row in the shard
    texts: list  # the text column (any value; non-strings are bad text)
    langs: list | None  # the language column, None when the shard has none
    n_bytes: list[int | None]  # UTF-8 bytes per text; None: not a str, or not encodable (lone surrogates)
    records: Callable[[list[int]], list[dict]]  # the full records of the given rows of this batch


def iter_batches(path: str, cfg: FilterConfig, rejects: RejectLog) -> Iterator[RowBatch]:
    """The shard's rows in batches of `batch_size`, streamed. Row index = position among the file's records
    (for JSONL, invalid lines follow on_bad_record and take no index)."""
    if record_format(path) == "parquet":
        yield from _parquet_batches(path, cfg)
        return
    records = (rec for _, rec in (iter_jsonl(path, cfg.on_bad_record, rejects) if record_format(path) == "jsonl"
                                  else iter_hf_dataset(path)))
    start = 0
    while chunk := list(islice(records, cfg.batch_size)):
        texts = [rec.get(cfg.text_field) for rec in chunk]
        langs = [rec.get(cfg.lang_field) for rec in chunk]
        yield RowBatch(start, texts, langs, [_utf8_len(t) for t in texts],
                       lambda idx, chunk=chunk: [chunk[i] for i in idx])
        start += len(chunk)


def _parquet_batches(path: str, cfg: FilterConfig) -> Iterator[RowBatch]:
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    start = 0
    for batch in pq.ParquetFile(path).iter_batches(batch_size=cfg.batch_size):
        names = batch.schema.names
        if cfg.text_field not in names:
            texts, n_bytes = [None] * batch.num_rows, [None] * batch.num_rows
        else:
            column = batch.column(cfg.text_field)
            texts = column.to_pylist()
            if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
                n_bytes = pc.binary_length(column).to_pylist()  # Arrow strings are valid UTF-8: no check needed
            else:
                n_bytes = [_utf8_len(t) for t in texts]
        langs = batch.column(cfg.lang_field).to_pylist() if cfg.lang_field in names else None
        yield RowBatch(start, texts, langs, n_bytes, lambda idx, batch=batch: _take(batch, idx))
        start += batch.num_rows


def _take(batch: pa.RecordBatch, idx: list[int]) -> list[dict]:
    return batch.take(pa.array(idx, pa.int64())).to_pylist() if idx else []


def _utf8_len(text: object) -> int | None:
    """UTF-8 length of a str; None for a non-str or a str with lone surrogates (valid in JSON, impossible in a
    UTF-8 parquet column)."""
    if not isinstance(text, str):
        return None
    try:
        return len(text.encode("utf-8"))
    except UnicodeEncodeError:
        return None


# ------------------------------------------------------------------------------------------------ one shard
def keyword_rule(cfg: FilterConfig) -> KeywordRule:
    """The keep decision of this config (matchers are cached per process, so this is cheap to call)."""
    return KeywordRule(cfg.thresholds, cfg.keywords, cfg.keywords_dir)


def _batch_languages(batch: RowBatch, cfg: FilterConfig, folder_lang: str | None) -> list[str | None]:
    """Language code per row: the fixed `lang`, else the language column (a code or a name; unknown: None),
    else the folder's language."""
    if cfg.lang != "auto":
        return [cfg.lang] * len(batch.texts)
    if batch.langs is None:
        return [folder_lang] * len(batch.texts)
    codes: dict[str, str | None] = {}  # few distinct values per batch: resolve each once
    for value in {v for v in batch.langs if isinstance(v, str) and v}:
        try:
            codes[value] = resolve(value).code
        except ValueError:
            codes[value] = None
    return [codes[v] if isinstance(v, str) and v else folder_lang for v in batch.langs]


def _new_counts() -> dict:
    return {"docs_in": 0, "kept": 0, "rejected": 0, "chars_in": 0, "chars_kept": 0, "bytes_in": 0}


@dataclass
class _ShardState:
    by_lang: dict = field(default_factory=dict)
    bad: dict = field(default_factory=lambda: {"bad_text": 0, "bad_lang": 0})
    rejected_scores: list = field(default_factory=list)


def _filter_batch(batch: RowBatch, task: ShardTask, cfg: FilterConfig, rule: KeywordRule,
                  folder_lang: str | None, state: _ShardState) -> list[dict]:
    """Decide one batch (one `KeywordRule.decide` call per language in it); count it; return the kept documents
    in row order."""
    groups: dict[str, list[int]] = {}
    for i, (lang, n_bytes) in enumerate(zip(_batch_languages(batch, cfg, folder_lang), batch.n_bytes)):
        if n_bytes is None:
            state.bad["bad_text"] += 1
        elif lang is None or lang not in cfg.thresholds:
            state.bad["bad_lang"] += 1
        else:
            groups.setdefault(lang, []).append(i)
    kept: list[tuple[int, str, Score]] = []
    rejected: list[tuple[int, str, Score]] = []
    for lang, idx in groups.items():
        results = rule.decide(lang, [batch.texts[i] for i in idx])
        counts = state.by_lang.setdefault(lang, _new_counts())
        counts["docs_in"] += len(idx)
        counts["bytes_in"] += sum(batch.n_bytes[i] for i in idx)
        for i, (keep, score) in zip(idx, results):
            counts["chars_in"] += score.n_chars
            if keep:
                counts["kept"] += 1
                counts["chars_kept"] += score.n_chars
                kept.append((i, lang, score))
            else:
                counts["rejected"] += 1
                rejected.append((i, lang, score))
    if cfg.keep_rejected_scores:
        state.rejected_scores += [{"id": make_doc_id(cfg.source, task.rel, batch.start + i), "lang": lang,
                                   "mkc": s.mkc, "dens": s.dens, "n_chars": s.n_chars} for i, lang, s in sorted(rejected, key=_row)]
    kept.sort(key=_row)
    docs = []
    for (i, lang, score), rec in zip(kept, batch.records([i for i, _, _ in kept])):
        meta = {k: v for k, v in rec.items() if k not in (cfg.text_field, cfg.lang_field)}
        docs.append({"id": make_doc_id(cfg.source, task.rel, batch.start + i), "text": batch.texts[i], "lang": lang,
                     "source": cfg.source, "meta": meta, "mkc": score.mkc, "dens": score.dens})
    return docs


def _row(decided: tuple[int, str, Score]) -> int:
    return decided[0]


def filter_shard(task: ShardTask, cfg: FilterConfig) -> dict:
    """Filter one input shard into its output shard; returns its stats. Raises on an unreadable shard."""
    out_dir = Path(cfg.output)
    out = out_dir / "documents" / f"{task.name}.parquet"
    for suffix in (".parquet", ".stats.json", ".done"):  # temp files of a run killed mid-write
        for stale in out.parent.glob(f".{task.name}{suffix}.*.tmp"):
            stale.unlink()
    t0 = time.monotonic()
    rule = keyword_rule(cfg)
    rejects = RejectLog(None)
    folder_lang = language_from_path(task.path)
    state = _ShardState()
    with DocumentShardWriter(out) as writer:
        for batch in iter_batches(task.path, cfg, rejects):
            for doc in _filter_batch(batch, task, cfg, rule, folder_lang, state):
                writer.add(doc)
        # side files before the rename of the output and before the done marker: all or nothing
        if cfg.keep_rejected_scores:
            write_parquet(out_dir / "rejected_scores" / f"{task.name}.parquet", state.rejected_scores)
        if rejects.count:
            write_jsonl(out_dir / "rejects" / f"{task.name}.jsonl", rejects.items)
    total = _new_counts()
    for counts in state.by_lang.values():
        for k, v in counts.items():
            total[k] += v
    bad = state.bad
    lists = rule.lists()
    stats = {"input": task.path, "output": str(out), **total,
             "rejected": total["rejected"] + bad["bad_text"] + bad["bad_lang"] + rejects.count,
             "docs_in": total["docs_in"] + bad["bad_text"] + bad["bad_lang"] + rejects.count,
             **bad, "bad_records": rejects.count, "by_lang": state.by_lang,
             "keywords": {lang: lists[lang] for lang in sorted(state.by_lang)},
             "seconds": round(time.monotonic() - t0, 3)}
    write_shard_stats(out, stats)
    mark_done(out, {"input": task.path, "kept": stats["kept"]})
    return stats


_READ_ERRORS: tuple[type[BaseException], ...] = (OSError, ValueError, EOFError, zlib.error, KeyError, TypeError,
                                                 pa.ArrowException)


def _worker(args: tuple[ShardTask, FilterConfig]) -> tuple[ShardTask, dict | None, str | None]:
    task, cfg = args
    try:
        return task, filter_shard(task, cfg), None
    except _READ_ERRORS as err:  # recorded in the errors file by the parent; other shards go on
        return task, None, f"{type(err).__name__}: {err}"


# ------------------------------------------------------------------------------------------------ summary
def summary_table(all_stats: list[dict]) -> str:
    """Per language: docs, kept %, chars kept, MB/s (input text bytes per second of filtering)."""
    rows: dict[str, dict] = {}
    for s in all_stats:
        shard_bytes = max(1, sum(c["bytes_in"] for c in s["by_lang"].values()))
        for lang, c in s["by_lang"].items():
            r = rows.setdefault(lang, {**_new_counts(), "seconds": 0.0})
            for k in c:
                r[k] += c[k]
            r["seconds"] += s["seconds"] * c["bytes_in"] / shard_bytes  # time shared by bytes
    lines = ["| lang | docs | kept | kept % | chars kept | MB/s |", "| --- | ---: | ---: | ---: | ---: | ---: |"]
    total = {**_new_counts(), "seconds": 0.0}
    for lang in sorted(rows):
        r = rows[lang]
        for k in total:
            total[k] += r[k]
        lines.append(_summary_line(lang, r))
    lines.append(_summary_line("all", total))
    return "\n".join(lines)


def _summary_line(label: str, r: dict) -> str:
    pct = 100 * r["kept"] / r["docs_in"] if r["docs_in"] else 0.0
    mbs = r["bytes_in"] / 1e6 / r["seconds"] if r["seconds"] > 0 else 0.0
    return f"| {label} | {r['docs_in']} | {r['kept']} | {pct:.2f} | {r['chars_kept']} | {mbs:.1f} |"


# ------------------------------------------------------------------------------------------------ main
def check_config(cfg: FilterConfig) -> None:
    if not cfg.input:
        raise SystemExit("error: --input is required (a glob, a list, or a folder of shards)")
    if not cfg.output:
        raise SystemExit("error: --output is required")
    if cfg.lang != "auto":
        cfg.lang = resolve(cfg.lang).code
        if cfg.lang not in cfg.thresholds:
            raise SystemExit(f"error: no thresholds for language {cfg.lang!r} in the config")
    if cfg.keywords not in LIST_NAMES:
        raise SystemExit(f"error: keywords must be one of {', '.join(LIST_NAMES)} (or set keywords_dir), "
                         f"got {cfg.keywords!r}")
    try:
        rule = keyword_rule(cfg)
        rule.check()  # a missing keyword list fails now, not in a worker
    except (ValueError, FileNotFoundError) as err:
        raise SystemExit(f"error: {err}") from None
    print("filter: keyword lists: " + ", ".join(f"{lang} {name}" for lang, name in rule.lists().items()),
          flush=True)
    _warm_up_arrow()


def _warm_up_arrow() -> None:
    """pyarrow imports pandas on first use (~0.5 s); do it before any shard is timed (and before forking)."""
    import pyarrow as pa

    from data_collection.documents import document_schema

    pa.Table.from_pylist([], schema=document_schema())


def run(cfg: FilterConfig) -> int:
    """Filter this task's slice of the input shards. Returns the process exit code (1 if any shard failed)."""
    check_config(cfg)
    shard_index, num_shards = resolve_shard_args(cfg.shard_index, cfg.num_shards)
    tag = "" if num_shards == 1 else f".task-{shard_index}-of-{num_shards}"
    out_dir = Path(cfg.output)
    manifest = RunManifest("data_collection.filter", out_dir, cfg)
    mine = slice_for_task(plan_tasks(cfg.input), shard_index, num_shards)
    done = [t for t in mine if is_done(out_dir / "documents" / f"{t.name}.parquet")]
    todo = [t for t in mine if t not in done]
    if cfg.max_shards > 0:
        todo = todo[: cfg.max_shards]
    print(f"filter: {len(mine)} shard(s) in this task ({shard_index}/{num_shards}), {len(done)} already done, "
          f"{len(todo)} to do, {max(1, cfg.num_proc)} process(es)", flush=True)
    new_stats, errors = _process(todo, cfg)
    errors_path = out_dir / f"errors{tag}.jsonl"
    write_jsonl(errors_path, errors)
    all_stats = [read_shard_stats(out_dir / "documents" / f"{t.name}.parquet") for t in done] + new_stats
    table = summary_table(all_stats)
    counts = {k: sum(s[k] for s in all_stats) for k in ("docs_in", "kept", "rejected", "bad_text", "bad_lang",
                                                          "bad_records", "chars_in", "chars_kept")}
    counts.update(shards_done_before=len(done), shards_processed=len(new_stats), shards_failed=len(errors),
                  shards_left=len(mine) - len(done) - len(new_stats))
    manifest.finish(counts, name=f"manifest{tag}.json", keywords=keyword_rule(cfg).lists())
    print(table)
    print(f"in: {counts['docs_in']} docs, kept: {counts['kept']}, rejected: {counts['rejected']} "
          f"(of which bad text {counts['bad_text']}, unknown language {counts['bad_lang']}, unreadable "
          f"records {counts['bad_records']}); shards: {len(new_stats)} processed, {len(done)} skipped (done), "
          f"{len(errors)} failed, {counts['shards_left']} left")
    print(f"output: {out_dir / 'documents'}")
    if errors:
        print(f"error: {len(errors)} shard(s) failed, listed in {errors_path}:", file=sys.stderr)
        for e in errors[:10]:
            print(f"  {e['file']}: {e['reason']}", file=sys.stderr)
        return 1
    return 0


def _process(todo: list[ShardTask], cfg: FilterConfig) -> tuple[list[dict], list[dict]]:
    from tqdm import tqdm

    stats, errors = [], []
    bar = tqdm(total=len(todo), unit="shard", disable=not cfg.progress or not todo, file=sys.stderr)
    jobs = [(t, cfg) for t in todo]
    if cfg.num_proc > 1 and len(todo) > 1:
        with mp.get_context("fork").Pool(min(cfg.num_proc, len(todo))) as pool:
            results = list(_collect(pool.imap_unordered(_worker, jobs), bar, stats, errors))
    else:
        results = list(_collect(map(_worker, jobs), bar, stats, errors))
    bar.close()
    del results
    return stats, errors


def _collect(results, bar, stats: list[dict], errors: list[dict]) -> Iterator[None]:
    docs = 0
    for task, s, err in results:
        if err is not None:
            errors.append({"file": task.path, "reason": err})
        else:
            stats.append(s)
            docs += s["docs_in"]
        bar.update(1)
        bar.set_postfix(docs=docs, failed=len(errors))
        yield None


def main(argv: list[str] | None = None) -> int:
    cfg = load_config(FilterConfig, argv, description=__doc__, prog="python -m data_collection.filter")
    return run(cfg)


if __name__ == "__main__":
    sys.exit(main())
