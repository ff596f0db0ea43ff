"""Record I/O: JSONL (.jsonl, .jsonl.gz), parquet and HF dataset dirs as streams of dicts.

Reads stream (parquet by record batches, JSONL line by line) so memory stays bounded. Every record carries its
location ("file:line" or "file:row N") so a bad record is reported where it is. Writes are atomic: the data go to
a temporary file in the same folder which is renamed over the target only when complete.
"""

from __future__ import annotations

import codecs
import contextlib
import glob
import gzip
import io
import json
import math
import os
import re
import tempfile
import zlib
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, Literal, get_args

from common.errors import UnreadableFileError, is_disk_error

OnBadRecord = Literal["error", "skip"]  # a config field's type: what a malformed input record does
ON_BAD_RECORD: tuple[str, ...] = get_args(OnBadRecord)
JSONL_SUFFIXES = (".jsonl", ".jsonl.gz", ".json.gz", ".ndjson")
PARQUET_SUFFIXES = (".parquet",)


class BadRecordError(ValueError):
    """A record that cannot be used; the message names the file and line."""

    def __init__(self, where: str, reason: str):
        super().__init__(f"{where}: {reason}")
        self.where = where
        self.reason = reason


# ---------------------------------------------------------------------------------------------------- writing


def current_umask() -> int:
    """The process umask (Linux reports it in /proc; elsewhere it is read by setting and restoring it)."""
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except OSError:
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike, suffix: str = "") -> Iterator[Path]:
    """Yield a temporary path next to `path`; rename it onto `path` only if the block succeeds.
    The file gets the mode a plain open() would give (0666 minus the umask), not mkstemp's private 0600: group
    members on a cluster must be able to read the outputs."""
    target = Path(path)
    with naming_folder(target):
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=suffix + ".tmp", dir=target.parent)
        os.close(fd)
    tmp_path = Path(tmp)
    try:
        with naming_folder(target):
            yield tmp_path
            if tmp_path.exists():  # the block may have replaced the file (a writer that unlinks and recreates)
                os.chmod(tmp_path, 0o666 & ~current_umask())
            os.replace(tmp_path, target)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


class OutputFolderError(OSError):
    """A file of an output folder cannot be written there (full disk, read-only, not permitted): names the folder."""


@contextlib.contextmanager
def naming_folder(target: Path) -> Iterator[None]:
    """Re-raise a disk error (common.errors.DISK_ERRNOS) met while writing `target` as one naming its folder: a full
    disk's "[Errno 28] No space left on device" names no file."""
    try:
        yield
    except OSError as err:
        if not is_disk_error(err) or isinstance(err, OutputFolderError):
            raise
        folder = target.parent
        while "_run" in folder.parts:  # a run's state or staging folder (common.run.RUN_DIR): name its output folder
            folder = folder.parent
        reason = re.sub(r"^\[Errno \d+\] ", "", str(err.strerror or err))
        raise OutputFolderError(err.errno, f"{folder}: cannot write {target.name} there: {reason}") from err


def _open_text_write(path: Path, gz: bool):
    if gz:
        return io.TextIOWrapper(gzip.open(path, "wb"), encoding="utf-8")
    return open(path, "w", encoding="utf-8")


def write_jsonl(path: str | os.PathLike, records: Iterable[dict]) -> int:
    """Write records as JSON lines atomically (gzip when the name ends in .gz). Returns the count."""
    n = 0
    with atomic_path(path) as tmp:
        with _open_text_write(tmp, str(path).endswith(".gz")) as f:
            for rec in records:
                f.write(json.dumps(rec, ensure_ascii=False) + "\n")
                n += 1
    return n


def write_json(path: str | os.PathLike, obj: Any) -> None:
    """Strict JSON: a NaN or infinite number (an undefined statistic) is written as null, which every JSON reader
    takes; Python's default `NaN` is not JSON."""
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(_finite(obj), ensure_ascii=False, indent=2, allow_nan=False) + "\n",
                       encoding="utf-8")


def _finite(obj: Any) -> Any:
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: _finite(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_finite(v) for v in obj]
    return obj


def write_text(path: str | os.PathLike, text: str) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def write_parquet(path: str | os.PathLike, records: Iterable[dict] | list[dict], schema=None) -> int:
    """Write records to one parquet file atomically. Nested dicts (e.g. `meta`) become struct/JSON columns."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = list(records)
    table = pa.Table.from_pylist(rows, schema=schema)
    with atomic_path(path, suffix=".parquet") as tmp:
        pq.write_table(table, tmp)
    return len(rows)


class JsonlAppender:
    """Append-only JSONL output for long jobs (generation): each record is flushed and fsynced.

    On open, a torn last line left by a killed run is cut off, so a rerun continues with no duplicate and no
    half record.
    """

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        with naming_folder(self.path):
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._repair_tail()
            self._f = open(self.path, "a", encoding="utf-8")

    def _repair_tail(self) -> None:
        if not self.path.exists():
            return
        data = self.path.read_bytes()
        if data and not data.endswith(b"\n"):
            keep = data.rfind(b"\n") + 1
            with open(self.path, "r+b") as f:
                f.truncate(keep)

    def write(self, record: dict) -> None:
        with naming_folder(self.path):
            self._f.write(json.dumps(record, ensure_ascii=False) + "\n")
            self._f.flush()
            os.fsync(self._f.fileno())

    def close(self) -> None:
        with naming_folder(self.path):
            self._f.close()

    def __enter__(self) -> JsonlAppender:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


# ---------------------------------------------------------------------------------------------------- rejects


class RejectLog:
    """Collects rejected records with where and why; written as JSONL beside the output (`rejects.jsonl`)."""

    def __init__(self, path: str | os.PathLike | None):
        self.path = Path(path) if path else None
        self.items: list[dict] = []

    @property
    def count(self) -> int:
        return len(self.items)

    def add(self, where: str, reason: str, raw: Any = None) -> None:
        self.items.append({"where": where, "reason": reason, "raw": raw})

    def close(self) -> None:
        if self.path is not None and self.items:
            write_jsonl(self.path, self.items)


def handle_bad_record(where: str, reason: str, raw: Any, on_bad_record: OnBadRecord, rejects: RejectLog | None) -> None:
    """Apply the `on_bad_record` policy: raise (error) or log the reject (skip). Never drops silently."""
    if on_bad_record not in ON_BAD_RECORD:
        raise ValueError(f"on_bad_record must be one of {ON_BAD_RECORD}, got {on_bad_record!r}")
    if on_bad_record == "error" or rejects is None:
        raise BadRecordError(where, reason + ("" if on_bad_record == "error" else " (no reject log given)"))
    rejects.add(where, reason, raw)


# ---------------------------------------------------------------------------------------------------- reading


def json_error(err: json.JSONDecodeError) -> str:
    """"Expecting ',' delimiter at column 8": the decoder's message (some end in "at": "Unterminated string starting
    at") with the column where it is."""
    return f"{err.msg.removesuffix(' at')} at column {err.colno}"


def read_json_file(path: str | os.PathLike) -> dict:
    """A JSON object file (a model's config.json, a checkpoint's trainer_state.json, a run's usage.json), or one
    line naming it and where it breaks: a truncated or hand-edited file is a BadRecordError, not a traceback."""
    p = Path(path)
    raw = p.read_bytes()
    try:
        data = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as err:
        raise BadRecordError(str(p), f"not valid JSON (not UTF-8 at byte {err.start} of {len(raw)}; truncated or "
                                     "damaged?)") from None
    except json.JSONDecodeError as err:
        raise BadRecordError(f"{p}:{err.lineno}", f"not valid JSON ({json_error(err)}; truncated or edited?)"
                             ) from None
    if not isinstance(data, dict):
        raise BadRecordError(str(p), f"expected a JSON object, got {type(data).__name__}")
    return data


def is_hf_dataset_dir(path: str | os.PathLike) -> bool:
    p = Path(path)
    return p.is_dir() and ((p / "dataset_info.json").exists() or (p / "state.json").exists()
                           or (p / "dataset_dict.json").exists())


def record_format(path: str | os.PathLike) -> str:
    name = str(path)
    if is_hf_dataset_dir(name):
        return "hf"
    if name.endswith(PARQUET_SUFFIXES):
        return "parquet"
    if name.endswith(JSONL_SUFFIXES):
        return "jsonl"
    raise ValueError(f"{name}: unsupported record file (expected {JSONL_SUFFIXES + PARQUET_SUFFIXES} or a HF dataset dir)")


def refuse_dangling_link(path: Path) -> None:
    """A link to nothing among the inputs is a file the user meant to give: an error naming it, never a file
    skipped in silence (a folder walk's is_file() is false for it)."""
    if path.is_symlink() and not path.exists():
        raise FileNotFoundError(f"{path}: a link to {path.readlink()}, which does not exist")


def expand_inputs(spec: str | os.PathLike | Iterable[str | os.PathLike]) -> list[Path]:
    """Turn a glob, a file, a dir, or a list of those into a sorted, de-duplicated list of record files/dirs.
    Inside a dir, paths with a component starting with "_" or "." are skipped."""
    items = [spec] if isinstance(spec, (str, os.PathLike)) else list(spec)
    found: list[Path] = []
    for item in items:
        s = str(item)
        if any(ch in s for ch in "*?["):
            matches = sorted(glob.glob(s, recursive=True))
            if not matches:
                raise FileNotFoundError(f"input glob matched nothing: {s}")
            found.extend(Path(m) for m in matches)
            continue
        p = Path(s)
        if not p.exists():
            raise FileNotFoundError(f"input not found: {p}")
        if p.is_dir() and not is_hf_dataset_dir(p):
            # names starting with "_" or "." are work or hidden files (build_corpus's _work/, temp files), not data
            visible = [x for x in sorted(p.rglob("*"))
                       if not any(part.startswith(("_", ".")) for part in x.relative_to(p).parts)]
            for x in visible:
                if x.name.endswith(JSONL_SUFFIXES + PARQUET_SUFFIXES):
                    refuse_dangling_link(x)
            found.extend(x for x in visible if x.is_file() and x.name.endswith(JSONL_SUFFIXES + PARQUET_SUFFIXES))
            found.extend(d for d in visible if d.is_dir() and is_hf_dataset_dir(d))
        else:
            found.append(p)
    unique = sorted(dict.fromkeys(found), key=str)
    return unique


def iter_jsonl(
    path: str | os.PathLike,
    on_bad_record: str = "error",
    rejects: RejectLog | None = None,
) -> Iterator[tuple[str, dict]]:
    """Yield (where, record) for each JSON object line; blank lines are ignored; bad lines follow the policy.

    Lines are decoded one by one, so a line that is not UTF-8 is one bad record (at its own line number), not the
    end of the file. A damaged file (a truncated or corrupt gzip stream) raises UnreadableFileError naming the
    file and the last good line: what follows cannot be read, and skipping it silently would lose data.
    """
    p = Path(path)
    opener = gzip.open if p.name.endswith(".gz") else open
    lineno = 0
    with opener(p, "rb") as f:
        lines = iter(f)
        while True:
            try:
                raw = next(lines)
            except StopIteration:
                return
            except (EOFError, OSError, zlib.error) as err:
                raise UnreadableFileError(f"{p}: unreadable after line {lineno}: {type(err).__name__}: {err}") from err
            lineno += 1
            where = f"{p}:{lineno}"
            if lineno == 1 and raw.startswith(codecs.BOM_UTF8):
                raw = raw[len(codecs.BOM_UTF8):]
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as err:
                handle_bad_record(where, f"not valid UTF-8 ({err.reason} at byte {err.start})",
                                  raw.decode("utf-8", "replace").rstrip("\n"), on_bad_record, rejects)
                continue
            if not line.strip():
                continue
            line = line.rstrip("\r\n")  # else an error at the end of the line is "line 2 column 1"
            try:
                rec = json.loads(line)
            except json.JSONDecodeError as err:
                handle_bad_record(where, f"invalid JSON ({json_error(err)})", line,
                                  on_bad_record, rejects)
                continue
            if not isinstance(rec, dict):
                handle_bad_record(where, f"expected a JSON object, got {type(rec).__name__}", rec, on_bad_record,
                                  rejects)
                continue
            problem = surrogate_problem(line, rec)
            if problem:
                handle_bad_record(where, problem, line, on_bad_record, rejects)
                continue
            yield where, rec


# a lone surrogate can only come from a \uD800-\uDFFF escape (UTF-8 bytes cannot encode one): look only then
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")


def surrogate_problem(line: str, rec: Any) -> str | None:
    """Why a record decoded from a JSON line is bad because of a lone surrogate, or None (the usual case, checked
    by a quick look at the line for an escape that could make one)."""
    return lone_surrogate(rec) if _SURROGATE_ESCAPE.search(line) else None


def lone_surrogate(value: Any, field: str = "") -> str | None:
    """Where a decoded JSON value holds a lone surrogate (half of a UTF-16 pair, e.g. "\\ud800"), which no UTF-8
    output can hold: a bad record, before it fails a write at the end of a run. None when there is none."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as err:
            return (f"field {field!r} " if field else "") + (f"holds a lone surrogate {value[err.start]!r} at "
                                                             f"character {err.start} (not valid Unicode text)")
        return None
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, item in items:
        problem = lone_surrogate(item, f"{field}.{key}" if field else str(key))
        if problem:
            return problem
    return None


def iter_parquet(path: str | os.PathLike, batch_size: int = 1024, columns: list[str] | None = None
                 ) -> Iterator[tuple[str, dict]]:
    """Yield (where, row) reading record batches, so a large shard never sits in memory whole."""
    import pyarrow.parquet as pq

    p = Path(path)
    row = 0
    try:
        for batch in pq.ParquetFile(p).iter_batches(batch_size=batch_size, columns=columns):
            for rec in batch.to_pylist():
                yield f"{p}:row {row}", rec
                row += 1
    except (OSError, ValueError) as err:  # pyarrow's ArrowInvalid is a ValueError: empty, truncated, not parquet
        raise UnreadableFileError(f"{p}: not a readable parquet file after {row} rows ({err})") from err


def load_dataset_dir(path: str | os.PathLike) -> Any:
    """`datasets.load_from_disk`, with a truncated or damaged .arrow file (pyarrow says only "Expected to be able
    to read N bytes") as an UnreadableFileError naming the folder and its files."""
    from datasets import load_from_disk

    try:
        return load_from_disk(str(path))
    except (OSError, ValueError) as err:
        if isinstance(err, FileNotFoundError) and not Path(path).exists():
            raise
        files = ", ".join(sorted(p.name for p in Path(path).rglob("*.arrow"))[:3]) or "no .arrow file"
        raise UnreadableFileError(f"{path}: not a readable dataset folder ({files}: {type(err).__name__}: "
                                  f"{' '.join(str(err).split())[:200]}); damaged or cut short: write it again with "
                                  "the command that made it") from None


def iter_hf_dataset(path: str | os.PathLike) -> Iterator[tuple[str, dict]]:
    ds = load_dataset_dir(path)
    if hasattr(ds, "keys"):  # a DatasetDict: every split in order
        for split in ds.keys():
            for i, rec in enumerate(ds[split]):
                yield f"{path}[{split}]:row {i}", rec
    else:
        for i, rec in enumerate(ds):
            yield f"{path}:row {i}", rec


def iter_records(
    path: str | os.PathLike,
    on_bad_record: str = "error",
    rejects: RejectLog | None = None,
) -> Iterator[tuple[str, dict]]:
    """Yield (where, record) from any supported record file or dataset dir."""
    fmt = record_format(path)
    if fmt == "jsonl":
        yield from iter_jsonl(path, on_bad_record, rejects)
    elif fmt == "parquet":
        yield from iter_parquet(path)
    else:
        yield from iter_hf_dataset(path)


def read_jsonl(path: str | os.PathLike, on_bad_record: str = "error", rejects: RejectLog | None = None
               ) -> list[dict]:
    return [rec for _, rec in iter_jsonl(path, on_bad_record, rejects)]


def validated(
    records: Iterable[tuple[str, dict]],
    check: Callable[[dict], str | None],
    on_bad_record: str,
    rejects: RejectLog | None,
) -> Iterator[tuple[str, dict]]:
    """Pass through records whose `check` returns None; others go through the bad-record policy."""
    for where, rec in records:
        problem = check(rec)
        if problem is None:
            yield where, rec
        else:
            handle_bad_record(where, problem, rec, on_bad_record, rejects)
