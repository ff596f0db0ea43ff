"""Near-duplicate and exact-duplicate removal as datatrove MinHash pipeline steps, with our source priorities
deciding which copy survives. Usable inside any datatrove pipeline; build_corpus runs them as its stages.

    signature (per input file, rank = file index)   PrioritySignature   -> sigs/bucket_NNN/RRRRR.minhash.sig
                                                                         + docs/RRRRR.parquet (id, source, length, key)
    buckets   (per bucket, rank = bucket index)      ArrayBuckets        -> buckets/BBBBB_00.dups (datatrove's format)
    cluster   (one task)                             PriorityCluster     -> remove/RRRRRR.remove + removed.parquet
    filter    (per input file, same order as above)  MinhashDedupFilter  (datatrove's own)

Shingles: `shingle_size` consecutive units hashed as in data_collection/corpus/dedup.py: words for space-delimited
languages, characters for zh/ja (datatrove's spaCy tokenizers for zh/ja need models we cannot download; character
shingles are the usual choice for scripts without spaces). Exact duplicates: the signature carries one extra
band (bucket `num_buckets`) holding the document's exact key (NFKC, casefolded, whitespace removed), so the
buckets stage pairs exact copies even when a text is too short for its shingles to say so.

Survivor: datatrove's cluster step keeps an arbitrary member per cluster; PriorityCluster keeps the best by
dedup.survivor_key (source priority, longer text, smaller id) and records why each other member was removed:
"exact" when its key equals the survivor's, else "near". Speed: the signature step writes a batch of records
at a time, and ArrayBuckets merges on numpy arrays instead of datatrove's heap of Python objects; both write
datatrove's files byte for byte (tests/test_dt_dedup.py). Memory: signature sorting holds one file's bucket;
buckets holds one slice of a band (`ArrayBuckets.max_records`); cluster holds only the documents that have a duplicate, plus one file's
`docs/` table at a time.
"""

from __future__ import annotations

import struct
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

import numpy as np
from datatrove.data import Document, DocumentsPipeline
from datatrove.io import DataFolderLike, get_datafolder
from datatrove.pipeline.dedup.minhash import (
    MinhashConfig,
    MinhashDedupBuckets,
    MinhashDedupCluster,
    MinhashDedupFilter,
    MinhashDedupSignature,
)
from datatrove.utils.binaryio import read_tuples_from_file
from datatrove.utils.hashing import HashConfig
from datatrove.utils.typeshelper import StatHints
from datatrove.utils.word_tokenizers import WordTokenizer

from data_collection.corpus.dedup import (
    batch_gram_hashes,
    dedup_key,
    gram_hashes,
    survivor_key,
    unit_hashes,
    units,
)

__all__ = ["ArrayBuckets", "MinhashDedupBuckets", "MinhashDedupFilter", "PriorityCluster", "PrioritySignature", "UnitTokenizer",
           "minhash_config"]

_KEY_MASK = (1 << 60) - 1  # datatrove reads 64-bit hashes below 2^61 - 1


def minhash_config(num_buckets: int, hashes_per_bucket: int, shingle_size: int, seed: int = 1) -> MinhashConfig:
    """The config of every stage: `num_buckets` LSH bands plus the exact-key band."""
    return MinhashConfig(n_grams=shingle_size, num_buckets=num_buckets + 1, hashes_per_bucket=hashes_per_bucket,
                         seed=seed, hash_config=HashConfig(precision=64, hash_fc="xxhash"))


def exact_band(key: bytes, width: int) -> list[int]:
    """The exact key as `width` values below 2^60 (at least 120 of its bits)."""
    value = int.from_bytes(key, "big")
    parts = [(value >> (60 * i)) & _KEY_MASK for i in range(max(2, width))][:width]
    return parts + [0] * (width - len(parts))


class UnitTokenizer(WordTokenizer):
    """datatrove word tokenizer over our units: words, or single characters for zh/ja (offline, no models)."""

    def __init__(self, space_delimited: bool):
        super().__init__(None)
        self.space_delimited = space_delimited

    def word_tokenize(self, text: str) -> list[str]:
        return list(units(text, self.space_delimited))

    def sent_tokenize(self, text: str) -> list[str]:
        return [text]

    def span_tokenize(self, text: str) -> list[tuple[int, int]]:
        return [(0, len(text))]


class PrioritySignature(MinhashDedupSignature):
    """datatrove's signature step with our shingles, the exact-key band and a docs/ table for the survivor rule.

    Documents need `metadata["source"]`; `space_delimited` is False for zh/ja (character shingles). `run` works
    on batches of `batch_docs` documents: units and MinHash minima per document, n-gram hashes and the records of
    every band for the whole batch at once (datatrove's loop packs one record per document and band; the files
    are the same byte for byte, tests/test_dt_dedup.py). `inspect(first_index, docs, units, hashes,
    offsets)` sees each batch's units and unit hashes (document d: hashes[offsets[d]:offsets[d + 1]]), so that
    decontamination reuses them."""

    name = "MinHash signatures (mmed)"
    batch_docs = 1024
    chunk_shingles = 4096  # a document's shingles hashed at once: 4K x bands x hashes_per_bucket x 8 bytes

    def __init__(self, output_folder: DataFolderLike, config: MinhashConfig, space_delimited: bool,
                 docs_folder: DataFolderLike, inspect: Callable | None = None):
        super().__init__(output_folder, config, language=UnitTokenizer(space_delimited))
        self.space_delimited = space_delimited
        self.docs_folder = get_datafolder(docs_folder)
        self.inspect = inspect
        self._key = b""  # of the document whose signature datatrove's own loop asks for (get_signature)

    # --- datatrove's per-document hooks (its own run loop; ours below computes the same for a batch)
    def get_shingles(self, text: str) -> np.ndarray:
        self._key = dedup_key(text)
        grams = gram_hashes(unit_hashes(units(text, self.space_delimited)), self.config.n_grams, whole_if_short=True)
        if len(grams) == 0:  # nothing but punctuation/whitespace: its exact key still pairs it with its copies
            grams = np.zeros(1, dtype=np.uint64)
        return grams.reshape((-1, 1))

    def get_signature(self, shingles: np.ndarray) -> list[list[int]]:
        """The MinHash bands of one document, then its exact-key band."""
        bands, width = self.config.num_buckets - 1, self.config.hashes_per_bucket
        a, b = self.parameters
        # multiply-shift hashing: the top 60 bits of a*x+b mod 2^64, which is universal like datatrove's
        # mod-(2^61-1) form, keeps values below 2^61-1 and avoids a division; the shift is monotonic, so it is
        # applied to the minima only
        phv = np.multiply(shingles, a[:, : bands * width])
        phv += b[:, : bands * width]
        sig = (phv.min(axis=0) >> np.uint64(4)).reshape(bands, width).tolist()
        return sig + [exact_band(self._key, width)]

    # --- batches
    def batch_signatures(self, keys: list[bytes], hashes: np.ndarray, offsets: np.ndarray) -> np.ndarray:
        """docs x (bands + 1) x hashes_per_bucket: get_signature(get_shingles(text)) for every document at once,
        from their exact keys and their unit hashes one after another (document d: hashes[offsets[d]:
        offsets[d + 1]])."""
        bands, width = self.config.num_buckets - 1, self.config.hashes_per_bucket
        grams, starts = batch_gram_hashes(hashes, offsets, self.config.n_grams, whole_if_short=True)
        empty = np.flatnonzero(np.diff(starts) == 0)
        if len(empty):  # one zero shingle each, as get_shingles gives them
            grams = np.insert(grams, starts[empty], np.uint64(0))
            starts = starts + np.searchsorted(empty, np.arange(len(starts)))
        mins = self._minima(grams, starts, bands * width)
        out = np.empty((len(keys), bands + 1, width), dtype=np.uint64)
        out[:, :bands] = (mins >> np.uint64(4)).reshape(len(keys), bands, width)
        out[:, bands] = [exact_band(key, width) for key in keys]
        return out

    def _minima(self, grams: np.ndarray, starts: np.ndarray, k: int) -> np.ndarray:
        """Per document, the minimum over its shingles of each of the k hash functions (before the shift). One
        document at a time, and a long one in pieces of chunk_shingles: the shingles x k products then stay in
        the CPU cache (hashing a whole batch at once measured slower, memory-bound) and memory stays bounded."""
        a, b = (x[:, :k] for x in self.parameters)
        mins = np.empty((len(starts) - 1, k), dtype=np.uint64)
        step = self.chunk_shingles
        for d, (lo, hi) in enumerate(zip(starts[:-1].tolist(), starts[1:].tolist())):
            for p in range(lo, hi, step):
                phv = np.multiply(grams[p:min(hi, p + step), None], a)
                phv += b
                if p == lo:
                    phv.min(axis=0, out=mins[d])
                else:
                    np.minimum(mins[d], phv.min(axis=0), out=mins[d])
        return mins

    def record_dtype(self) -> np.dtype:
        """One record of a signature file, as datatrove's struct format `<{width}QI` (packed, little-endian)."""
        width = self.config.hashes_per_bucket
        return np.dtype([(f"field{i + 1}", "<u8") for i in range(width)] + [(f"field{width + 1}", "<u4")])

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> None:
        """datatrove's signature step on batches of documents: the same files (one per band, records sorted by
        signature then document index) and our docs/ table (id, source, length, exact key)."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        table: dict[str, list] = defaultdict(list)
        names = [f"bucket_{bi:03d}/{rank:05d}.minhash.sig" for bi in range(self.config.num_buckets)]
        with self.track_time():
            files = [self.output_folder.open(name, mode="wb") for name in names]
            try:
                batch: list[Document] = []
                for doc in data:
                    self.stat_update(StatHints.total)
                    batch.append(doc)
                    if len(batch) == self.batch_docs:
                        self._run_batch(batch, len(table["id"]), files, table)
                        batch = []
                self._run_batch(batch, len(table["id"]), files, table)
            finally:
                for f in files:
                    f.close()
            for name in names:
                self._sort_file(name)
        schema = pa.schema([("id", pa.string()), ("source", pa.string()), ("length", pa.int64()),
                            ("key", pa.binary())])
        with self.docs_folder.open(f"{rank:05d}.parquet", "wb") as f:
            pq.write_table(pa.table({k: table[k] for k in schema.names}, schema=schema), f)

    def _run_batch(self, docs: list[Document], first_idx: int, files: list, table: dict[str, list]) -> None:
        if not docs:
            return
        texts = [doc.text for doc in docs]
        unit_lists = [units(t, self.space_delimited) for t in texts]
        per_doc = [unit_hashes(u) for u in unit_lists]
        offsets = np.zeros(len(docs) + 1, dtype=np.int64)
        np.cumsum([len(h) for h in per_doc], out=offsets[1:])
        hashes = np.concatenate(per_doc)
        if self.inspect is not None:
            self.inspect(first_idx, docs, unit_lists, hashes, offsets)
        keys = [dedup_key(t) for t in texts]
        sigs = self.batch_signatures(keys, hashes, offsets)
        dtype = self.record_dtype()
        for bi, f in enumerate(files):
            records = np.empty(len(docs), dtype=dtype)
            for j in range(self.config.hashes_per_bucket):
                records[f"field{j + 1}"] = sigs[:, bi, j]
            records[dtype.names[-1]] = np.arange(first_idx, first_idx + len(docs), dtype=np.uint32)
            f.write(records.tobytes())
        table["id"] += [str(doc.id) for doc in docs]
        table["source"] += [str(doc.metadata.get("source", "")) for doc in docs]
        table["length"] += [len(t) for t in texts]
        table["key"] += keys

    def _sort_file(self, name: str) -> None:
        """Sort one bucket file's records in place, as datatrove's step does (its buckets stage merges them)."""
        dtype = self.record_dtype()
        with self.output_folder.open(name, mode="rb") as f:
            records = np.frombuffer(f.read(), dtype=dtype).copy()
        records.sort(order=dtype.names)
        with self.output_folder.open(name, mode="wb") as f:
            f.write(records.tobytes())


def _is_local(folder) -> bool:
    from fsspec.implementations.local import LocalFileSystem

    return isinstance(getattr(folder, "fs", None), LocalFileSystem)


class ArrayBuckets(MinhashDedupBuckets):
    """datatrove's buckets step on numpy arrays: the same signature files in, the same `.dups` file out (pairs of
    consecutive equal signatures in (signature, file, document) order, byte for byte what the heap merge writes),
    without a Python object per record.

    Memory stays bounded as the corpus grows: the band is processed in slices of its first hash value, each
    holding about `max_records` records of all files (a file's records are sorted, so a slice is one contiguous
    block of it, found by binary search on the memory-mapped file); equal signatures share their first value, so
    they always meet in one slice. With an index folder (dedup against an existing index) datatrove's own merge
    runs, and on a remote filesystem (no memory map)."""

    name = "MinHash buckets (mmed, arrays)"
    max_records = 2_000_000  # about 200 MB while a slice is sorted

    def run(self, data: DocumentsPipeline = None, rank: int = 0, world_size: int = 1) -> None:
        if self.index_folder is not None or self.create_index_name or not _is_local(self.input_folder):
            return super().run(data, rank, world_size)
        workers_per_bucket = world_size // self.config.num_buckets
        bucket, bucket_worker = divmod(rank, workers_per_bucket)
        with self.track_time():
            names = self.input_folder.list_files(subdirectory=f"bucket_{bucket:03d}")
            hash_min, hash_max = self.get_worker_hash_range(names, rank, world_size)
            dtype = np.dtype([(f"field{i + 1}", "<u8") for i in range(self.config.hashes_per_bucket)]
                             + [("doc", "<u4")])
            files = [np.memmap(self.input_folder.resolve_paths(n), dtype=dtype, mode="r")
                     if self.input_folder.size(n) else np.zeros(0, dtype=dtype) for n in names]
            stems = [int(Path(n).name.removesuffix(".minhash.sig")) for n in names]
            total = sum(len(f) for f in files)
            slices = max(1, -(-total // self.max_records))
            edges = np.linspace(hash_min, hash_max, slices + 1, dtype=np.float64).astype(np.uint64)
            edges[0], edges[-1] = hash_min, hash_max
            with self.output_folder.open(f"{bucket:05d}_{bucket_worker:02d}.dups", mode="wb") as out:
                for lo, hi in zip(edges[:-1], edges[1:]):
                    out.write(self._slice_pairs(files, stems, int(lo), int(hi)).tobytes())

    def _slice_pairs(self, files: list[np.ndarray], stems: list[int], lo: int, hi: int) -> np.ndarray:
        """The (file, doc, file, doc) pairs of equal signatures whose first value is in [lo, hi)."""
        parts, owners = [], []
        for stem, records in zip(stems, files):
            first = records["field1"]
            a, b = np.searchsorted(first, [lo, hi])
            parts.append(np.asarray(records[a:b]))
            owners.append(np.full(b - a, stem, dtype=np.uint32))
        if not parts or not sum(len(x) for x in parts):
            return np.zeros((0, 4), dtype="<u4")
        records, owner = np.concatenate(parts), np.concatenate(owners)
        fields = [records[f"field{i + 1}"] for i in range(self.config.hashes_per_bucket)]
        order = np.lexsort([records["doc"], owner, *fields[::-1]])
        same = np.ones(len(order) - 1, dtype=bool)
        for column in fields:
            sorted_column = column[order]
            same &= sorted_column[1:] == sorted_column[:-1]
        k = np.flatnonzero(same)
        prev, cur = order[k], order[k + 1]
        pairs = np.stack([owner[prev], records["doc"][prev], owner[cur], records["doc"][cur]], axis=1)
        self.stat_update("total_matches", value=len(pairs))
        return pairs.astype("<u4")


class PriorityCluster(MinhashDedupCluster):
    """Union the duplicate pairs of every bucket; keep the best member of each cluster by our survivor rule.

    Writes `<output>/RRRRRR.remove` (sorted document indices, datatrove's format for MinhashDedupFilter) and
    `<output>/removed.parquet` (file, index, id, source, reason, kept_id)."""

    name = "MinHash clusters by source priority (mmed)"

    def __init__(self, input_folder: DataFolderLike, output_folder: DataFolderLike, config: MinhashConfig,
                 docs_folder: DataFolderLike, source_priority: list[str]):
        super().__init__(input_folder, output_folder, config)
        self.docs_folder = get_datafolder(docs_folder)
        self.source_priority = list(source_priority)

    def _clusters(self) -> dict[tuple[int, int], list[tuple[int, int]]]:
        parent: dict[tuple[int, int], tuple[int, int]] = {}

        def find(x: tuple[int, int]) -> tuple[int, int]:
            root = x
            while parent.get(root, root) != root:
                root = parent[root]
            while parent.get(x, x) != root:  # path compression
                parent[x], x = root, parent[x]
            return root

        for name in self.input_folder.list_files(glob_pattern="*.dups"):
            with self.input_folder.open(name, "rb") as f:
                for f1, d1, f2, d2 in read_tuples_from_file(f, "4I", lines_to_buffer=self.lines_to_buffer):
                    parent.setdefault((f1, d1), (f1, d1))
                    parent.setdefault((f2, d2), (f2, d2))
                    ra, rb = find((f1, d1)), find((f2, d2))
                    if ra != rb:
                        parent[max(ra, rb)] = min(ra, rb)
        groups: dict[tuple[int, int], list[tuple[int, int]]] = defaultdict(list)
        for node in list(parent):
            groups[find(node)].append(node)
        return groups

    def _members_info(self, nodes: list[tuple[int, int]]) -> dict[tuple[int, int], tuple]:
        import pyarrow.parquet as pq

        by_file: dict[int, list[int]] = defaultdict(list)
        for file_id, doc_idx in nodes:
            by_file[file_id].append(doc_idx)
        info = {}
        for file_id, idxs in sorted(by_file.items()):
            with self.docs_folder.open(f"{file_id:05d}.parquet", "rb") as f:
                rows = pq.read_table(f).take(idxs).to_pylist()
            for idx, row in zip(idxs, rows):
                info[(file_id, idx)] = (survivor_key(row["source"], row["length"], row["id"], self.source_priority),
                                        row["key"], row["id"], row["source"])
        return info

    def run(self, data: DocumentsPipeline = None, rank: int = 0, world_size: int = 1) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        with self.track_time():
            groups = self._clusters()
            info = self._members_info([n for members in groups.values() for n in members])
            removed = []
            for members in groups.values():
                best = min(members, key=lambda n: info[n][0])
                for node in members:
                    if node != best:
                        reason = "exact" if info[node][1] == info[best][1] else "near"
                        removed.append({"file": node[0], "index": node[1], "id": info[node][2],
                                        "source": info[node][3], "reason": reason, "kept_id": info[best][2]})
                        self.stat_update(f"removed_{reason}")
            removed.sort(key=lambda r: (r["file"], r["index"]))
            by_file: dict[int, list[int]] = defaultdict(list)
            for r in removed:
                by_file[r["file"]].append(r["index"])
            for file_id, idxs in by_file.items():
                with self.output_folder.open(f"{file_id:06d}.remove", "wb") as f:
                    f.write(struct.pack(f"<{len(idxs)}I", *idxs))
            schema = pa.schema([("file", pa.int64()), ("index", pa.int64()), ("id", pa.string()),
                                ("source", pa.string()), ("reason", pa.string()), ("kept_id", pa.string())])
            with self.output_folder.open("removed.parquet", "wb") as f:
                pq.write_table(pa.Table.from_pylist(removed, schema=schema), f)
