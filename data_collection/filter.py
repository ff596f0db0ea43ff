"""Medical keyword filter (MKC / DENS) over web-corpus shards (CulturaX-style parquet, JSONL, HF datasets).

Keeps a document when MKC >= t_mkc and DENS >= t_dens for its language (thresholds in the config; definition in
data_collection/filtering/matcher.py; keyword lists: `keywords: paper` (default, the authors' lists; de/ar: extended) or
`extended`, see data_collection/filtering/keyword_lists.py). One output shard per input shard, resumable, shard-parallel:

    python -m data_collection.filter --config configs/data_collection/filter.yaml \\
        --input 'culturax/*/*.parquet' --lang auto --output out/filtered --num_proc 8
    # Slurm: one array task per slice of the input shards (shard_index/num_shards default to the array env)
    sbatch --array=0-99 scripts/slurm/filter_array.sbatch

Output folder:
    documents/<name>.parquet      kept documents (id, text, lang, source, meta (JSON string), mkc, dens)
    documents/<name>.stats.json   docs in / kept / rejected / chars / seconds / keyword list per language
    rejected_scores/<name>.parquet  (--keep_rejected_scores) id, lang, mkc, dens, n_chars of rejected documents
    rejects/<name>.jsonl          unreadable records (invalid JSON lines) when on_bad_record=skip
    errors[-I-of-N].jsonl         shards that failed (unit, error); the run then exits 1 and a rerun retries them
    config.yaml, manifest[-I-of-N].json, _run/ (the lock and one completion marker per finished shard)

`<name>` is the input's path relative to its input root (the folder given, or the non-wildcard part of a glob),
flattened (`en/part_0.parquet` -> `en__part_0`). Document ids are `make_doc_id(source, <that relative path>,
<row index>)`: stable across reruns and machines for the same input root and content.

Runs on common/run.py (docs/run.md): each input shard is a unit, skipped on a rerun only when its content, the
keyword lists folder (keywords_dir) and the settings in DEPENDS_ON (thresholds, keywords, fields, ...) are those
its output was made with. Otherwise the rerun stops with one line naming what changed, or with
`--on_mismatch redo` it deletes that shard's outputs and filters it again: never a folder mixing two settings.
A shard added before a rerun is filtered; a shard that cannot be read fails alone (exit 1), the others are written.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path

import numpy as np
import pyarrow as pa

from common.cli import UserError, cli
from common.config import bad, load_config
from common.languages import resolve
from common.records import (
    OnBadRecord,
    RejectLog,
    UnreadableFileError,
    iter_hf_dataset,
    iter_jsonl,
    record_format,
    write_jsonl,
    write_parquet,
)
from common.run import OnMismatch, Run, Unit
from data_collection.documents import DocumentShardWriter, document_schema, make_doc_id, meta_json
from data_collection.filtering.keyword_lists import KeywordLists
from data_collection.filtering.matcher import PAPER_THRESHOLDS, KeywordRule, Score, prepare_batch_tables
from data_collection.shards import (
    ShardTask,
    plan_tasks,
    read_shard_stats,
    resolve_shard_args,
    write_shard_stats,
)

# the settings the outputs of a shard depend on (num_proc, batch_size, sharding and progress change nothing there)
DEPENDS_ON = ("lang", "lang_field", "text_field", "source", "thresholds", "keywords", "keep_rejected_scores")
COUNT_KEYS = ("docs_in", "kept", "rejected", "bad_text", "bad_lang", "bad_records", "chars_in", "chars_kept")


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
    keywords: KeywordLists = field(default="paper", metadata={
        "help": "keyword lists: paper (the MMedC authors' lists for en zh ja fr ru es; de and ar have none and use "
                "extended) or extended (this project's lists, 8 languages)"})
    keywords_dir: str | None = field(default=None, metadata={
        "help": "folder of your own <lang>.txt keyword lists; overrides `keywords`"})
    num_proc: int = field(default=1, metadata={"help": "worker processes (one input shard at a time each)"})
    shard_index: int | None = field(default=None, metadata={
        "help": "this task's slice of the input shards (default: SLURM_ARRAY_TASK_ID, else 0)"})
    num_shards: int | None = field(default=None, metadata={
        "help": "number of slices (default: SLURM_ARRAY_TASK_COUNT, else 1)"})
    batch_size: int = field(default=4096, metadata={"help": "rows per parquet read batch (bounds memory)"})
    keep_rejected_scores: bool = field(default=False, metadata={
        "help": "also write mkc/dens of rejected documents (rejected_scores/) for threshold tuning"})
    on_bad_record: OnBadRecord = field(default="skip", metadata={
        "help": "an unreadable record (invalid JSON line): skip (logged in rejects/, counted) or error (the "
                "shard fails and is listed in the errors file)"})
    max_shards: int = field(default=0, metadata={"help": "stop after this many shards this run (0: all)"})
    progress: bool = field(default=True, metadata={"help": "print one line per finished shard"})
    on_mismatch: OnMismatch = field(default="error", metadata={
        "help": "shards filtered before with other settings or content: error, or redo (delete their outputs and "
                "filter them again)"})

    def validate(self) -> None:
        if self.lang != "auto":
            try:
                code = resolve(self.lang).code
            except ValueError as err:
                bad("lang", str(err))
            if code not in self.thresholds:
                bad("thresholds", f"no thresholds for language {code!r} (key 'lang')")
        if not self.input:
            bad("input", "required (a glob, a list, or a folder of shards)")
        if not self.output:
            bad("output", "required (the output folder)")
        for name in ("num_proc", "batch_size"):
            if getattr(self, name) < 1:
                bad(name, f"must be at least 1, got {getattr(self, name)}")
        if self.max_shards < 0:
            bad("max_shards", f"must be at least 0, got {self.max_shards}")
        for lang, t in self.thresholds.items():
            if set(t) != {"mkc", "dens"}:
                bad(f"thresholds.{lang}", f"expected {{mkc: <int>, dens: <float>}}, got {t!r}")


# ------------------------------------------------------------------------------------------------ planning
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
    """One read batch of a shard, column-wise: only the language column goes through Python for every row (the
    texts of a parquet batch stay in Arrow unless the matcher needs them as Python strings); whole records are
    built only for the rows that are kept (`records`)."""

    start: int  # row index of the first row in the shard
    texts: Sequence  # the text column (any value; non-strings are bad text)
    langs: list | None  # the language column, None when the shard has none
    n_bytes: np.ndarray  # UTF-8 bytes per text (int64); -1: not a str, or not encodable (lone surrogates)
    records: Callable[[list[int]], list[dict]]  # the full records of the given rows of this batch
    column: pa.Array | None = None  # the text column as Arrow strings, when the shard is parquet with one
    arrow: pa.RecordBatch | None = None  # the whole batch, when it came from parquet


class ArrowTexts(Sequence):
    """The texts of an Arrow string array as a read-only sequence: a text read by index is converted alone, and
    iterating converts them all at once (one `to_pylist`)."""

    def __init__(self, column: pa.Array):
        self.column = column
        self._all: list | None = None

    def __len__(self) -> int:
        return len(self.column)

    def __getitem__(self, i):
        if self._all is None and isinstance(i, int):
            return self.column[i].as_py()
        return self._list()[i]

    def __iter__(self):
        return iter(self._list())

    def _list(self) -> list:
        if self._all is None:
            self._all = self.column.to_pylist()
        return self._all


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
        yield RowBatch(start, texts, langs, _utf8_lengths(texts),
                       lambda idx, chunk=chunk: [chunk[i] for i in idx])
        start += len(chunk)


def _parquet_batches(path: str, cfg: FilterConfig) -> Iterator[RowBatch]:
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    start = 0
    try:
        # one thread: the filter runs one process per core, and the text column is one column anyway
        for batch in pq.ParquetFile(path).iter_batches(batch_size=cfg.batch_size, use_threads=False):
            yield _row_batch(batch, start, cfg, pc)
            start += batch.num_rows
    except (OSError, ValueError) as err:  # ArrowInvalid is a ValueError: empty, truncated, not parquet
        raise UnreadableFileError(f"{path}: not a readable parquet file after {start} rows ({err})") from err


def _row_batch(batch: pa.RecordBatch, start: int, cfg: FilterConfig, pc) -> RowBatch:
    names = batch.schema.names
    if cfg.text_field not in names:
        texts, n_bytes = [None] * batch.num_rows, np.full(batch.num_rows, -1, dtype=np.int64)
    else:
        column = batch.column(cfg.text_field)
        if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
            texts = ArrowTexts(column)  # most rows never need a Python string
            # Arrow strings are valid UTF-8: no check needed
            n_bytes = np.asarray(pc.binary_length(column).fill_null(-1).to_numpy(zero_copy_only=False), np.int64)
        else:
            texts = column.to_pylist()
            n_bytes = _utf8_lengths(texts)
            column = None
    langs = batch.column(cfg.lang_field).to_pylist() if cfg.lang_field in names else None
    return RowBatch(start, texts, langs, n_bytes, lambda idx, batch=batch: _take(batch, idx),
                    column if cfg.text_field in names else None, batch)


def _take(batch: pa.RecordBatch, idx: list[int]) -> list[dict]:
    return batch.take(pa.array(idx, pa.int64())).to_pylist() if idx else []


def _utf8_lengths(texts: list) -> np.ndarray:
    """UTF-8 length of each str; -1 for a non-str or a str with lone surrogates (valid in JSON, impossible in a
    UTF-8 parquet column)."""
    return np.fromiter(map(_utf8_len, texts), dtype=np.int64, count=len(texts))


def _utf8_len(text: object) -> int:
    if not isinstance(text, str):
        return -1
    try:
        return len(text.encode("utf-8"))
    except UnicodeEncodeError:
        return -1


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


def _language_groups(batch: RowBatch, cfg: FilterConfig, folder_lang: str | None,
                     bad: dict[str, int]) -> dict[str, np.ndarray]:
    """language -> the batch's rows of it with a good text; counts the others into `bad`."""
    good = batch.n_bytes >= 0
    bad["bad_text"] += len(good) - int(good.sum())
    if cfg.lang != "auto" or batch.langs is None:  # one language for the whole batch
        lang = cfg.lang if cfg.lang != "auto" else folder_lang
        if lang is None or lang not in cfg.thresholds:
            bad["bad_lang"] += int(good.sum())
            return {}
        return {lang: np.flatnonzero(good)}
    groups: dict[str, list[int]] = {}
    for i, lang in enumerate(_batch_languages(batch, cfg, folder_lang)):
        if not good[i]:
            continue
        if lang is None or lang not in cfg.thresholds:
            bad["bad_lang"] += 1
        else:
            groups.setdefault(lang, []).append(i)
    return {lang: np.array(idx, dtype=np.int64) for lang, idx in groups.items()}


def _filter_batch(batch: RowBatch, task: ShardTask, cfg: FilterConfig, rule: KeywordRule,
                  folder_lang: str | None, state: _ShardState) -> list[dict] | pa.Table:
    """Decide one batch (one `KeywordRule.decide_arrays` call per language in it); count it; return the kept
    documents in row order (a parquet batch: as a table of document rows)."""
    kept: list[tuple[int, str, Score]] = []
    rejected: list[tuple[int, str, Score]] = []
    for lang, idx in _language_groups(batch, cfg, folder_lang, state.bad).items():
        if batch.column is None:
            keep, scores = rule.decide_arrays(lang, [batch.texts[i] for i in idx.tolist()])
        else:  # the group's rows, as Arrow strings
            column = batch.column if len(idx) == len(batch.texts) else batch.column.take(pa.array(idx))
            keep, scores = rule.decide_arrays(lang, ArrowTexts(column), column)
        counts = state.by_lang.setdefault(lang, _new_counts())
        n_kept = int(keep.sum())
        counts["docs_in"] += len(idx)
        counts["bytes_in"] += int(batch.n_bytes[idx].sum())
        counts["chars_in"] += int(scores.n_chars.sum())
        counts["kept"] += n_kept
        counts["rejected"] += len(idx) - n_kept
        counts["chars_kept"] += int(scores.n_chars[keep].sum())
        kept += [(int(idx[j]), lang, scores[j]) for j in np.flatnonzero(keep).tolist()]
        if cfg.keep_rejected_scores:
            rejected += [(int(idx[j]), lang, scores[j]) for j in np.flatnonzero(~keep).tolist()]
    if cfg.keep_rejected_scores:
        state.rejected_scores += [{"id": make_doc_id(cfg.source, task.rel, batch.start + i), "lang": lang,
                                   "mkc": s.mkc, "dens": s.dens, "n_chars": s.n_chars} for i, lang, s in sorted(rejected, key=_row)]
    kept.sort(key=_row)
    if batch.column is not None and batch.arrow is not None:
        return _kept_table(batch, kept, task, cfg)
    docs = []
    for (i, lang, score), rec in zip(kept, batch.records([i for i, _, _ in kept])):
        meta = {k: v for k, v in rec.items() if k not in (cfg.text_field, cfg.lang_field)}
        docs.append({"id": make_doc_id(cfg.source, task.rel, batch.start + i), "text": rec[cfg.text_field],
                     "lang": lang, "source": cfg.source, "meta": meta, "mkc": score.mkc, "dens": score.dens})
    return docs


def _kept_table(batch: RowBatch, kept: list[tuple[int, str, Score]], task: ShardTask,
                cfg: FilterConfig) -> pa.Table:
    """The kept rows of a parquet batch as document rows (documents.document_schema), their texts taken in
    Arrow: the same rows `DocumentShardWriter.add` would write for the records (texts from parquet are valid
    UTF-8, languages are codes, so its checks have nothing to find)."""
    rows = pa.array([i for i, _, _ in kept], pa.int64())
    others = [name for name in batch.arrow.schema.names if name not in (cfg.text_field, cfg.lang_field)]
    metas = batch.arrow.select(others).take(rows).to_pylist()
    return pa.table({
        "id": [make_doc_id(cfg.source, task.rel, batch.start + i) for i, _, _ in kept],
        "text": batch.column.take(rows).cast(pa.string()),
        "lang": [lang for _, lang, _ in kept],
        "source": [cfg.source] * len(kept),
        "meta": [meta_json(meta) for meta in metas],
        "mkc": pa.array([s.mkc for _, _, s in kept], pa.int64()),
        "dens": pa.array([s.dens for _, _, s in kept], pa.float64()),
    }, schema=document_schema())


def _row(decided: tuple[int, str, Score]) -> int:
    return decided[0]


def _shard_outputs(task: ShardTask, out_dir: Path) -> dict[str, Path]:
    return {"documents": out_dir / "documents" / f"{task.name}.parquet",
            "rejected_scores": out_dir / "rejected_scores" / f"{task.name}.parquet",
            "rejects": out_dir / "rejects" / f"{task.name}.jsonl"}


def _remove_leftovers(task: ShardTask, paths: dict[str, Path]) -> None:
    """Temp files of a run killed mid-write, and side files of an unfinished earlier try that this try may not
    write again (a rejects list when the records are now all good)."""
    for path in paths.values():
        for stale in path.parent.glob(f".{path.name}.*.tmp"):
            stale.unlink()
    for stale in paths["documents"].parent.glob(f".{task.name}.stats.json.*.tmp"):
        stale.unlink()
    paths["rejected_scores"].unlink(missing_ok=True)
    paths["rejects"].unlink(missing_ok=True)


def filter_shard(task: ShardTask, cfg: FilterConfig) -> dict:
    """Filter one input shard into its output shard; returns its stats. Raises on an unreadable shard."""
    _warm_up()  # before the clock starts: pandas (imported by pyarrow on first use), the matchers' tables
    paths = _shard_outputs(task, Path(cfg.output))
    out = paths["documents"]
    out.parent.mkdir(parents=True, exist_ok=True)
    _remove_leftovers(task, paths)
    rule = keyword_rule(cfg)
    rule.check()  # the matchers are built once per process: not part of this shard's time
    rule.prepare_batches(None if cfg.lang == "auto" else [cfg.lang])
    t0 = time.monotonic()
    rejects = RejectLog(None)
    folder_lang = language_from_path(task.path)
    state = _ShardState()
    with DocumentShardWriter(out) as writer:
        for batch in iter_batches(task.path, cfg, rejects):
            kept = _filter_batch(batch, task, cfg, rule, folder_lang, state)
            if isinstance(kept, pa.Table):
                writer.add_table(kept)
            else:
                for doc in kept:
                    writer.add(doc)
        # side files before the rename of the output and before the completion marker: all or nothing
        if cfg.keep_rejected_scores:
            write_parquet(paths["rejected_scores"], state.rejected_scores)
        if rejects.count:
            write_jsonl(paths["rejects"], rejects.items)
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
    return stats


def filter_unit(unit: Unit) -> dict:
    """One input shard as a unit of the run (module level: it may run in a worker process): its counts and the
    files it wrote, so a redo deletes exactly those."""
    task, cfg = unit.payload
    stats = filter_shard(task, cfg)
    out_dir = Path(cfg.output)
    written = [p for p in _shard_outputs(task, out_dir).values() if p.exists()]
    written.append(out_dir / "documents" / f"{task.name}.stats.json")
    if cfg.progress:
        print(f"filter: {task.rel}: {stats['docs_in']} in, {stats['kept']} kept ({stats['seconds']:.1f} s)",
              flush=True)
    return {**{k: stats[k] for k in COUNT_KEYS}, "outputs": [str(p.relative_to(out_dir)) for p in written]}


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
def check_config(cfg: FilterConfig) -> KeywordRule:
    """The language and the keyword lists, before any shard is read (the config's own checks ran when it was
    loaded: FilterConfig.validate); returns the keep rule."""
    if cfg.lang != "auto":
        cfg.lang = resolve(cfg.lang).code  # a name or code -> the code
    try:
        rule = keyword_rule(cfg)
    except ValueError as err:  # a language code the thresholds name that we do not know
        raise UserError(f"key 'thresholds': {err}") from None
    try:
        rule.check()  # a missing keyword list fails now, not in a worker
    except (ValueError, FileNotFoundError) as err:
        raise UserError(f"key 'keywords_dir': {err}" if cfg.keywords_dir else str(err)) from None
    print("filter: keyword lists: " + ", ".join(f"{lang} {name}" for lang, name in rule.lists().items()),
          flush=True)
    return rule


def _warm_up() -> None:
    """pyarrow imports pandas on first use (~0.5 s), and the matchers' Arrow path builds its tables (~0.7 s):
    both once per process, before any shard is timed."""
    from data_collection.documents import document_schema

    pa.Table.from_pylist([], schema=document_schema())
    prepare_batch_tables()


def main(argv: list[str] | None = None) -> int:
    """Filter this task's slice of the input shards. Returns the exit status (1 if a shard failed)."""
    cfg = load_config(FilterConfig, argv, description=__doc__, prog="python -m data_collection.filter")
    rule = check_config(cfg)
    index, num = resolve_shard_args(cfg.shard_index, cfg.num_shards)
    tasks = plan_tasks(cfg.input)
    if not tasks:
        raise UserError(f"key 'input': no input shards (.parquet, .jsonl[.gz] or HF dataset folders) in {cfg.input}")
    lists = (str(Path(cfg.keywords_dir).resolve()),) if cfg.keywords_dir else ()  # their content counts too
    out_dir = Path(cfg.output)
    with Run("data_collection.filter", out_dir, cfg, task=(index, num), depends_on=DEPENDS_ON,
             on_mismatch=cfg.on_mismatch) as run:
        # inputs by absolute path: the same file given relative to another folder is the same input
        mine = run.slice([Unit(t.rel, inputs=(str(Path(t.path).resolve()), *lists), payload=(t, cfg))
                          for t in tasks])
        todo = [u for u in mine if not run.is_done(u)]
        now = todo[: cfg.max_shards] if cfg.max_shards > 0 else todo
        print(f"filter: {len(mine)} shard(s) in this task ({index}/{num}), {len(mine) - len(todo)} already done, "
              f"{len(now)} to do, {min(cfg.num_proc, max(1, len(now)))} process(es)", flush=True)
        run.map(filter_unit, now, workers=cfg.num_proc)
        run.counts["units_skipped_done"] = len(mine) - len(todo)
        run.counts["units_left"] = len(todo) - len(now)
        unfinished = {f["unit"] for f in run.failed} | {u.name for u in todo[len(now):]}
        all_stats = [read_shard_stats(out_dir / "documents" / f"{u.payload[0].name}.parquet")
                     for u in mine if u.name not in unfinished]
        for key in COUNT_KEYS:  # the task's totals over every finished shard, done now or before
            run.counts[key] = sum(s[key] for s in all_stats)
        run.extra["keywords"] = rule.lists()
        _report(run, all_stats, out_dir)
    return run.exit_code


def _report(run: Run, all_stats: list[dict], out_dir: Path) -> None:
    c = run.counts
    print(summary_table(all_stats))
    print(f"in: {c['docs_in']} docs, kept: {c['kept']}, rejected: {c['rejected']} "
          f"(of which bad text {c['bad_text']}, unknown language {c['bad_lang']}, unreadable "
          f"records {c['bad_records']}); shards: {c['units_done']} processed, {c['units_skipped_done']} skipped "
          f"(done), {c['units_failed']} failed, {c['units_left']} left")
    print(f"output: {out_dir / 'documents'}")
    if run.failed:
        print(f"error: {len(run.failed)} shard(s) failed, listed in {out_dir / f'errors{run.tag}.jsonl'}; a rerun "
              "retries them", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(cli(main, "python -m data_collection.filter"))
