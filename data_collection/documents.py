"""The document record shared by every data_collection source, and its one on-disk shard format.

A document is a dict (DESIGN.md): `id` (str, stable across reruns), `text` (str), `lang` (ISO 639-1 code from
common.languages), `source` (str: web, textbook, website, wikipedia, baike, ufal, ...), `meta` (dict: url, title,
book, page, ... whatever the source has). The keyword filter adds `mkc` (int) and `dens` (float).

Shard format (parquet, written by `write_document_shard`): a fixed schema

    id: string, text: string, lang: string, source: string, meta: string (JSON), mkc: int64, dens: float64

`meta` is stored as a JSON *string* so that documents with different meta keys (a web page's url/timestamp, a
book's title/page) fit one schema and shards of every source concatenate. Readers decode it with
`json.loads` (`read_document_shard` / `iter_document_shard` do so). `mkc`/`dens` are null for documents that were
not keyword-scored. Shards load with `datasets.load_dataset("parquet", data_files=...)` (meta stays a string).

Ids: `make_doc_id(source, *parts)` is sha1 over the source and the parts joined by a separator, so the same input
(e.g. the input file's name relative to the input root and the row index, or a book file and a page) always gets
the same id, whatever machine or run produced it.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from common.languages import by_code
from common.records import atomic_path

REQUIRED_FIELDS = ("id", "text", "lang", "source", "meta")
SCORE_FIELDS = ("mkc", "dens")
SHARD_COLUMNS = REQUIRED_FIELDS + SCORE_FIELDS


def document_schema():
    """The fixed arrow schema of every document shard."""
    import pyarrow as pa

    return pa.schema([
        ("id", pa.string()), ("text", pa.string()), ("lang", pa.string()), ("source", pa.string()),
        ("meta", pa.string()), ("mkc", pa.int64()), ("dens", pa.float64()),
    ])


def make_doc_id(source: str, *parts: Any) -> str:
    """A stable id: `<source>-<first 20 hex of sha1(source, parts...)>`; parts are str()-ed."""
    h = hashlib.sha1(str(source).encode("utf-8"))
    for part in parts:
        h.update(b"\x1f")
        h.update(str(part).encode("utf-8"))
    return f"{source}-{h.hexdigest()[:20]}"


def normalise_document(d: dict) -> dict:
    """Check a document record and return it in canonical form (raises ValueError naming the problem).

    meta may be a dict or a JSON string of an object (as read back from a shard); the result always has a dict.
    """
    if not isinstance(d, dict):
        raise ValueError(f"a document must be a dict, got {type(d).__name__}")
    missing = [k for k in REQUIRED_FIELDS if k not in d]
    if missing:
        raise ValueError(f"document is missing field(s) {missing} (id={d.get('id')!r})")
    for key in ("id", "text", "lang", "source"):
        if not isinstance(d[key], str):
            raise ValueError(f"document field {key!r} must be a string, got {type(d[key]).__name__} "
                             f"(id={d.get('id')!r})")
        if not d[key].isascii():
            _check_encodable(d, key)
    if not d["id"]:
        raise ValueError("document id is empty")
    by_code(d["lang"])  # raises ValueError on an unknown language code
    meta = d["meta"]
    if meta is None:
        meta = {}
    if isinstance(meta, str):
        meta = json.loads(meta) if meta else {}
    if not isinstance(meta, dict):
        raise ValueError(f"document meta must be an object, got {type(meta).__name__} (id={d['id']!r})")
    out = {"id": d["id"], "text": d["text"], "lang": d["lang"].lower(), "source": d["source"], "meta": meta}
    for key in SCORE_FIELDS:
        value = d.get(key)
        out[key] = None if value is None else (int(value) if key == "mkc" else float(value))
    return out


def _check_encodable(d: dict, key: str) -> None:
    """A lone surrogate (JSON allows "\\ud800") cannot be written to a shard nor given to the language model."""
    try:
        d[key].encode("utf-8")
    except UnicodeEncodeError as err:
        raise ValueError(f"document field {key!r} is not valid Unicode: a lone surrogate at character {err.start} "
                         f"(id={d.get('id')!r:.80})") from None


def meta_json(meta: dict) -> str:
    """How a document's meta is stored in a shard."""
    return json.dumps(meta, ensure_ascii=False, sort_keys=True, default=str)


def _to_row(doc: dict) -> dict:
    doc = normalise_document(doc)
    doc["meta"] = meta_json(doc["meta"])
    return doc


class DocumentShardWriter:
    """Write a document shard incrementally (bounded memory) and atomically: rows go to a temporary file that is
    renamed onto `path` only when the `with` block ends without an error.

        with DocumentShardWriter(path) as w:
            for doc in docs:
                w.add(doc)
    """

    def __init__(self, path: str | os.PathLike, batch_rows: int = 2048):
        self.path = Path(path)
        self.batch_rows = batch_rows
        self.count = 0
        self._rows: list[dict] = []
        self._pending: list = []  # tables not yet written (pyarrow), in order
        self._pending_rows = 0
        self._writer = None
        self._ctx = None
        self._tmp: Path | None = None

    def __enter__(self) -> DocumentShardWriter:
        import pyarrow.parquet as pq

        self._ctx = atomic_path(self.path, suffix=".parquet")
        self._tmp = self._ctx.__enter__()
        self._writer = pq.ParquetWriter(self._tmp, document_schema())
        return self

    def add(self, doc: dict) -> None:
        self._rows.append(_to_row(doc))
        self.count += 1
        if len(self._rows) + self._pending_rows >= self.batch_rows:
            self._write(full_groups_only=True)

    def add_table(self, table) -> None:
        """Add rows that are already document rows (a pyarrow Table with `document_schema()`), after the rows
        added before; written with them in row groups of `batch_rows`."""
        self._table_of_rows()
        if table.num_rows:
            self._pending.append(table)
            self._pending_rows += table.num_rows
            self.count += table.num_rows
        if self._pending_rows >= self.batch_rows:
            self._write(full_groups_only=True)

    def _table_of_rows(self) -> None:
        import pyarrow as pa

        if self._rows:
            self._pending.append(pa.Table.from_pylist(self._rows, schema=document_schema()))
            self._pending_rows += len(self._rows)
            self._rows = []

    def _write(self, full_groups_only: bool) -> None:
        """Write the rows added so far in row groups of `batch_rows` (the last one shorter, unless
        `full_groups_only`: then it stays pending)."""
        import pyarrow as pa

        self._table_of_rows()
        if not self._pending:
            return
        table = pa.concat_tables(self._pending)
        while table.num_rows >= self.batch_rows or (table.num_rows and not full_groups_only):
            self._writer.write_table(table.slice(0, self.batch_rows))
            table = table.slice(self.batch_rows)
        self._pending, self._pending_rows = ([table], table.num_rows) if table.num_rows else ([], 0)

    def __exit__(self, exc_type, exc, tb) -> None:
        try:
            if exc_type is None:
                self._write(full_groups_only=False)
        finally:
            self._writer.close()
            self._ctx.__exit__(exc_type, exc, tb)


def write_document_shard(path: str | os.PathLike, docs: Iterable[dict]) -> int:
    """Write documents to one parquet shard atomically (fixed schema, meta as JSON). Returns the count.

    An empty `docs` still writes a valid shard with the schema (so "done, nothing kept" is visible on disk).
    """
    with DocumentShardWriter(path) as writer:
        for doc in docs:
            writer.add(doc)
    return writer.count


def iter_document_shard(path: str | os.PathLike, batch_size: int = 1024) -> Iterator[dict]:
    """Stream a document shard by record batches; meta is decoded back to a dict."""
    import pyarrow.parquet as pq

    pf = pq.ParquetFile(Path(path))
    for batch in pf.iter_batches(batch_size=batch_size):
        for row in batch.to_pylist():
            yield normalise_document(row)


def read_document_shard(path: str | os.PathLike) -> list[dict]:
    return list(iter_document_shard(path))
