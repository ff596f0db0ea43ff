"""Tokenize corpus shards into fixed-length training sequences (a HF dataset written with `save_to_disk`).

    python -m pretrain.tokenize --config configs/pretrain/tokenize_tiny.yaml
    python -m pretrain.tokenize --input 'corpus/*/*.parquet' --tokenizer /models/Meta-Llama-3-8B \\
        --output data/mmedc-llama3 --seq_len 2048 --mode pack --num_proc 16
    # Slurm array (one task per group of input files), then one assemble job:
    sbatch --array=0-63 scripts/slurm/tokenize.sbatch configs/pretrain/tokenize_llama3.yaml

Every document gets BOS (when the tokenizer has one and add_bos) and EOS appended. Modes:
- pack (default): the documents of one input file and language are concatenated and cut into seq_len blocks:
  no padding, every token in exactly one sequence (the last partial block of each file+language is left out
  and counted as dropped_tail_tokens).
- window (the paper): each document is cut into windows of seq_len tokens overlapping by `overlap` (512); the
  last window of a long document ends at its last token; a document shorter than seq_len is padded at the right
  and the padding is excluded from the loss (labels -100, attention_mask 0). `mask_overlap` also excludes the
  tokens already trained on in the previous window.

Output: <output>/train (and <output>/validation when val_ratio > 0: whole documents chosen by a hash of their id)
with columns input_ids, labels, lang (+ attention_mask in window mode), and dataset_dict.json, so
`datasets.load_from_disk(<output>)` gives a DatasetDict of both splits; meta.json with the tokenizer, seq_len,
mode and counts per language; rejects.jsonl (on_bad_record skip); config.yaml; manifest.json.

Runs on common/run.py (docs/run.md): each input file is a unit tokenized into <output>/parts/, skipped on a rerun
only when its content and the settings in DEPENDS_ON are those it was made with, so a killed run resumes where it
stopped and an array task touches only its own files; `stage=assemble` (or the end of a single-task run) joins
the parts in sorted input order. A file added to the input before a rerun is tokenized and joined in (the other
parts are reused when keep_parts kept them); a rerun with other settings (seq_len, mode, tokenizer...) or a
changed input file is an error naming what changed, or with `--on_mismatch redo` the affected outputs are made
again: never a dataset mixed from two settings. A file that cannot be read (a bad record with on_bad_record
error, a corrupt parquet) fails alone: it is listed in errors.jsonl, the others are tokenized, nothing is
assembled, exit status 1. Documents whose text is empty or whitespace are skipped and counted
(empty_documents), not treated as bad records.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import sys
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np

from common.cli import UserError, cli
from common.config import bad, load_config
from common.model_files import check_tokenizer_files
from common.records import (
    OnBadRecord,
    RejectLog,
    expand_inputs,
    handle_bad_record,
    iter_records,
    read_jsonl,
    write_json,
    write_jsonl,
)
from common.run import OnMismatch, Run, Unit, digest
from common.sharding import resolve_shard_args
from common.token_count import _cuts_exact

SPLITS = ("train", "validation")
# a part's rows: Arrow stream files; parquet from earlier versions of this command is still read
PART_FORMATS = ("arrow", "parquet")


@dataclass
class TokenizeConfig:
    input: list[str] = field(default_factory=list, metadata={
        "help": "corpus shards: globs, files or dirs (parquet, jsonl[.gz], HF dataset dirs)"})
    tokenizer: str = field(default="", metadata={"help": "HF tokenizer (or model) dir"})
    output: str = field(default="", metadata={"help": "output dir: train/, validation/, meta.json"})
    seq_len: int = field(default=2048, metadata={"help": "tokens per sequence"})
    mode: Literal["pack", "window"] = field(default="pack", metadata={
        "help": "pack (concatenate, no padding) or window (the paper)"})
    overlap: int = field(default=512, metadata={"help": "window mode: tokens shared by consecutive windows"})
    mask_overlap: bool = field(default=False, metadata={
        "help": "window mode: no loss on tokens already trained in the previous window (the paper: false)"})
    add_bos: bool = field(default=True, metadata={"help": "prepend the tokenizer's BOS token to each document"})
    text_field: str = field(default="text", metadata={"help": "record field with the document text"})
    lang_field: str = field(default="lang", metadata={"help": "record field with the ISO language code"})
    default_lang: str = field(default="", metadata={
        "help": "language of records without lang_field (empty: the input file's parent dir name, e.g. "
                "culturax/en/x.parquet -> en; a record with neither is a bad record)"})
    id_field: str = field(default="id", metadata={"help": "record field with the document id (validation split)"})
    val_ratio: float = field(default=0.0, metadata={"help": "share of documents held out for validation"})
    trust_remote_code: bool = field(default=False, metadata={"help": "allow the tokenizer dir's own code"})
    num_proc: int = field(default=1, metadata={"help": "worker processes (one input file each)"})
    batch_docs: int = field(default=256, metadata={"help": "documents per tokenizer call"})
    shard_index: int = field(default=-1, metadata={"help": "this task's share of the input files (default: "
                                                           "SLURM_ARRAY_TASK_ID or 0)"})
    num_shards: int = field(default=-1, metadata={"help": "number of tasks (default: SLURM_ARRAY_TASK_COUNT or 1)"})
    stage: Literal["all", "parts", "assemble"] = field(default="all", metadata={
        "help": "all: parts, then assemble when every part is done"})
    output_shards: int = field(default=0, metadata={"help": "files per split in save_to_disk (0 = by size)"})
    keep_parts: bool = field(default=False, metadata={"help": "keep parts/ after assembling"})
    on_bad_record: OnBadRecord = field(default="error", metadata={"help": "skipped ones go to rejects"})
    on_mismatch: OnMismatch = field(default="error", metadata={
        "help": "outputs made with other settings or inputs: error, or redo (delete and redo them)"})

    def validate(self) -> None:
        for key in ("input", "tokenizer", "output"):
            if not getattr(self, key):
                bad(key, "not set (set input, tokenizer and output)")
        if self.seq_len < 2:
            bad("seq_len", f"must be at least 2, got {self.seq_len}")
        if self.mode == "window" and not 0 <= self.overlap < self.seq_len:
            bad("overlap", f"{self.overlap} must be in [0, seq_len={self.seq_len})")
        if not 0 <= self.val_ratio < 1:
            bad("val_ratio", f"must be in [0, 1), got {self.val_ratio}")
        for name in ("num_proc", "batch_docs"):
            if getattr(self, name) < 1:
                bad(name, f"must be at least 1, got {getattr(self, name)}")


# the settings the tokenized output depends on (num_proc, batch_docs, sharding and keep_parts change nothing in it)
DEPENDS_ON = ("tokenizer", "seq_len", "mode", "overlap", "mask_overlap", "add_bos", "text_field", "lang_field",
              "default_lang", "id_field", "val_ratio", "output_shards")


# ------------------------------------------------------------------------------------------- sequences


def window_sequences(ids: list[int], seq_len: int, overlap: int, pad_id: int, mask_overlap: bool = False
                     ) -> list[dict]:
    """Windows of one document. Short documents are right-padded, padding out of loss and attention."""
    if len(ids) <= seq_len:
        pad = seq_len - len(ids)
        return [{"input_ids": ids + [pad_id] * pad, "labels": ids + [-100] * pad,
                 "attention_mask": [1] * len(ids) + [0] * pad}]
    stride = seq_len - overlap
    starts = list(range(0, len(ids) - seq_len, stride)) + [len(ids) - seq_len]  # the last ends at the last token
    out, trained_until = [], 0
    for start in starts:
        window = ids[start:start + seq_len]
        labels = list(window)
        if mask_overlap and start < trained_until:
            labels[:trained_until - start] = [-100] * (trained_until - start)
        trained_until = start + seq_len
        out.append({"input_ids": window, "labels": labels, "attention_mask": [1] * seq_len})
    return out


class Packer:
    """Concatenates documents and emits full seq_len blocks; the remainder stays in `buffer`."""

    def __init__(self, seq_len: int):
        self.seq_len = seq_len
        self.buffer: list[int] = []

    def add(self, ids: list[int]) -> list[dict]:
        self.buffer.extend(ids)
        n_full = len(self.buffer) // self.seq_len
        blocks = [self.buffer[i * self.seq_len:(i + 1) * self.seq_len] for i in range(n_full)]
        self.buffer = self.buffer[n_full * self.seq_len:]
        return [{"input_ids": b, "labels": list(b)} for b in blocks]


def is_validation(doc_key: str, val_ratio: float) -> bool:
    return val_ratio > 0 and zlib.crc32(doc_key.encode("utf-8")) % 1_000_000 < val_ratio * 1_000_000


# ------------------------------------------------------------------------------------------- parts

_TOKENIZERS: dict[tuple[str, bool], Encoder] = {}


def load_tokenizer(path: str, trust_remote_code: bool) -> Encoder:
    """The tokenizer, loaded once per process (workers are spawned processes)."""
    if not Path(path).is_dir():
        raise FileNotFoundError(f"tokenizer dir not found: {path} (nothing is downloaded)")
    check_tokenizer_files(path, require_vocabulary=True)  # one line naming the dir or the broken file
    key = (path, trust_remote_code)
    if key not in _TOKENIZERS:
        _TOKENIZERS[key] = Encoder(path, trust_remote_code)
    return _TOKENIZERS[key]


# tokenizer_config.json classes whose tokenizer is tokenizer.json as it stands: read with the `tokenizers` library
# alone (transformers, and torch with it, take seconds to import). Other classes may rebuild parts of the tokenizer,
# so they load through AutoTokenizer.
PLAIN_TOKENIZER_CLASSES = ("PreTrainedTokenizerFast", "TokenizersBackend")


def _token_content(value) -> str | None:
    return value.get("content") if isinstance(value, dict) else value if isinstance(value, str) else None


class Encoder:
    """Token ids of texts (no special tokens) and the BOS/EOS/pad ids, as AutoTokenizer gives them.

    A dir whose tokenizer_config.json names a plain class (PLAIN_TOKENIZER_CLASSES, no custom code) is read from
    tokenizer.json with the `tokenizers` library; others load through AutoTokenizer and use its backend when it has
    one. With a tokenizer whose ids add up over pieces cut before " X" (cut_safe), texts are cut at every such
    space and each piece's ids come from a cache filled by the library (documents repeat their words): the ids are
    the library's for the whole text, exactly (tests/test_tokenize_fast.py compares both ways). Texts holding an
    added token are encoded whole."""

    def __init__(self, path: str, trust_remote_code: bool):
        folder = Path(path)
        config = {}
        for name in ("special_tokens_map.json", "tokenizer_config.json"):  # the config's values win
            if (folder / name).is_file():
                config.update(json.loads((folder / name).read_text(encoding="utf-8")))
        self.backend, self.tok = None, None
        if ((folder / "tokenizer.json").is_file() and config.get("tokenizer_class") in PLAIN_TOKENIZER_CLASSES
                and "auto_map" not in config):
            from tokenizers import Tokenizer

            self.backend = Tokenizer.from_file(str(folder / "tokenizer.json"))
            self.bos_token_id, self.eos_token_id, self.pad_token_id = (
                self._special_id(config.get(key)) for key in ("bos_token", "eos_token", "pad_token"))
        else:
            from transformers import AutoTokenizer

            self.tok = AutoTokenizer.from_pretrained(path, trust_remote_code=trust_remote_code)
            self.backend = getattr(self.tok, "backend_tokenizer", None)
            self.bos_token_id, self.eos_token_id = self.tok.bos_token_id, self.tok.eos_token_id
            self.pad_token_id = self.tok.pad_token_id
        self.piecewise = cut_safe(self.backend)
        self._added = None
        if self.piecewise:
            added = [t.content for t in self.backend.get_added_tokens_decoder().values() if t.content]
            self._added = re.compile("|".join(map(re.escape, sorted(added, key=len, reverse=True)))) if added else None
            self._first, self._spaced = _PieceIds(self.backend.encode, ""), _PieceIds(self.backend.encode, " ")

    def _special_id(self, value) -> int | None:
        content = _token_content(value)
        return None if content is None else self.backend.token_to_id(content)

    def encode(self, texts: list[str]) -> list:
        """Token ids of each text (a sequence of ints: an int32 array when piecewise), no special tokens."""
        if self.piecewise:
            return [self._pieces(text) for text in texts]
        if self.tok is None:
            return [e.ids for e in self.backend.encode_batch_fast(texts, add_special_tokens=False)]
        return self.tok(texts, add_special_tokens=False)["input_ids"]  # as AutoTokenizer encodes, whatever its class

    def _pieces(self, text: str) -> np.ndarray:
        if self._added is not None and self._added.search(text):  # the library matches added tokens first
            pieces = exact_pieces(text) if len(text) > LONG_TEXT_CHARS else [text]
            return np.array([i for p in pieces for i in self.backend.encode(p, add_special_tokens=False).ids],
                            dtype=np.int32)
        if len(text) <= LONG_TEXT_CHARS:
            return np.frombuffer(self._cut_ids(text), dtype=np.int32)
        first, *rest = exact_pieces(text)  # a piece at a time: the cut pieces of one piece are in memory at once
        joined = b"".join([self._cut_ids(first), *(self._cut_ids(piece[1:], spaced=True) for piece in rest)])
        return np.frombuffer(joined, dtype=np.int32)

    def _cut_ids(self, text: str, spaced: bool = False) -> bytes:
        """Ids (int32 bytes) of `text` (of " " + text when `spaced`: text then starts with a non-space) from the
        piece caches."""
        first, *rest = text.split(" ") if _cuts_exact(text) else _EXACT_CUT.split(text)
        return b"".join([(self._spaced if spaced else self._first)[first], *map(self._spaced.__getitem__, rest)])


_CACHE_MAX_ENTRIES = 200_000  # pieces; cleared when full (web text keeps re-filling it with common words)
_CACHE_MAX_CHARS = 48  # longer pieces (zh/ja lines, URLs) are rarely seen twice


class _PieceIds(dict):
    """piece -> its token ids as int32 bytes (a document's are joined with one bytes.join), filled by the library
    on a miss; `prefix` is prepended before encoding."""

    def __init__(self, encode, prefix: str):
        super().__init__()
        self.encode, self.prefix = encode, prefix

    def __missing__(self, piece: str) -> bytes:
        ids = np.array(self.encode(self.prefix + piece, add_special_tokens=False).ids, dtype=np.int32).tobytes()
        if len(piece) <= _CACHE_MAX_CHARS:
            if len(self) >= _CACHE_MAX_ENTRIES:
                self.clear()
            self[piece] = ids
        return ids


# A longer text is encoded in pieces of about this many characters when the tokenizer's cut there is exact: a 50 MB
# single-line document encoded whole made the tokenizer hold ~100 bytes per character (4.5 GB) for two minutes.
LONG_TEXT_CHARS = 1 << 20


def cut_safe(backend) -> bool:
    """Whether encoding a text in pieces cut before " X" (a space between two non-spaces) gives exactly the ids of
    the whole text, for a `tokenizers` Tokenizer: byte-level BPE with no normalizer whose pre-tokenizer always
    starts a pre-token at such a space (common.token_count.chunkable, which also admits isolating Split
    steps that never match a space, like the tiny model's "#+"). Other tokenizers encode every text whole."""
    from common.token_count import chunkable

    return backend is not None and chunkable(json.loads(backend.to_str()))


_EXACT_CUT = re.compile(r"(?<=\S) (?=\S)")  # a space with a non-space on both sides


def exact_pieces(text: str, size: int | None = None) -> list[str]:
    """`text` cut into pieces of about `size` (default LONG_TEXT_CHARS) characters, each cut just before a space
    that has a non-space on both sides: the last such space before the size, else the first after it."""
    size = size or LONG_TEXT_CHARS
    pieces, start = [], 0
    while len(text) - start > size:
        limit = start + size
        before = [m.start() for m in _EXACT_CUT.finditer(text, max(start + 1, limit - 4096), limit)]
        after = _EXACT_CUT.search(text, limit) if not before else None
        cut = before[-1] if before else after.start() if after else -1
        if cut <= start:
            break
        pieces.append(text[start:cut])
        start = cut
    pieces.append(text[start:])
    return pieces


def _empty_lang_stats() -> dict:
    return {"documents": 0, "tokens": 0, "sequences": 0, "padding_tokens": 0, "target_tokens": 0,
            "dropped_tail_tokens": 0}


class PartWriter:
    """Rows of one input file, per split, streamed to an Arrow stream file (temp file, renamed at close). Rows come
    as 2-D arrays (one row per sequence) and go to Arrow without a Python object per token."""

    def __init__(self, parts_dir: Path, part_name: str, with_mask: bool):
        import pyarrow as pa

        self.parts_dir, self.part_name, self.with_mask = parts_dir, part_name, with_mask
        fields = [("input_ids", pa.list_(pa.int32())), ("labels", pa.list_(pa.int32()))]
        if with_mask:
            fields.append(("attention_mask", pa.list_(pa.int8())))
        self.schema = pa.schema(fields + [("lang", pa.string())])
        self.rows: dict[str, list[tuple]] = {s: [] for s in SPLITS}
        self.count = {s: 0 for s in SPLITS}
        self.writers = {}

    def add(self, split: str, input_ids, labels, attention_mask, lang: str) -> None:
        """Append sequences: int32 arrays of shape (n, seq_len) (attention_mask int8, or None without a mask)."""
        if not len(input_ids):
            return
        self.rows[split].append((input_ids, labels, attention_mask, lang))
        self.count[split] += len(input_ids)
        if self.count[split] >= 1024:
            self._flush(split)

    def _flush(self, split: str) -> None:
        import pyarrow as pa

        if not self.rows[split]:
            return
        if split not in self.writers:
            tmp = self.parts_dir / f".{self.part_name}.{split}.arrow.tmp"
            sink = pa.OSFile(str(tmp), "wb")
            self.writers[split] = (pa.ipc.new_stream(sink, self.schema), tmp, sink)
        blocks = self.rows[split]
        n, width = self.count[split], blocks[0][0].shape[1]
        offsets = pa.array(np.arange(0, (n + 1) * width, width, dtype=np.int32))

        def column(i: int, dtype):
            values = np.concatenate([b[i] for b in blocks]).reshape(-1).astype(dtype, copy=False)
            return pa.ListArray.from_arrays(offsets, pa.array(values))

        columns = [column(0, np.int32), column(1, np.int32)] + ([column(2, np.int8)] if self.with_mask else [])
        langs = pa.array([lang for b in blocks for lang in [b[3]] * len(b[0])], pa.string())
        self.writers[split][0].write_table(pa.Table.from_arrays(columns + [langs], schema=self.schema))
        self.rows[split], self.count[split] = [], 0

    def close(self) -> None:
        for split in SPLITS:
            self._flush(split)
        for split, (writer, tmp, sink) in self.writers.items():
            writer.close()
            sink.close()
            os.replace(tmp, self.parts_dir / f"{self.part_name}.{split}.arrow")


def window_arrays(ids, seq_len: int, overlap: int, pad_id: int, mask_overlap: bool = False):
    """window_sequences of one document (an int32 array) as arrays: (input_ids, labels, attention_mask), each of
    shape (windows, seq_len)."""
    n = len(ids)
    if n <= seq_len:
        input_ids = np.full((1, seq_len), pad_id, dtype=np.int32)
        input_ids[0, :n] = ids
        labels = np.full((1, seq_len), -100, dtype=np.int32)
        labels[0, :n] = ids
        mask = np.zeros((1, seq_len), dtype=np.int8)
        mask[0, :n] = 1
        return input_ids, labels, mask
    step = seq_len - overlap
    starts = np.append(np.arange(0, n - seq_len, step), n - seq_len)  # the last ends at the last token
    input_ids = ids[starts[:, None] + np.arange(seq_len)]
    labels = input_ids.copy()
    if mask_overlap:
        ends = np.append(0, starts[:-1] + seq_len)  # where the previous window stopped training
        for k in np.flatnonzero(starts < ends):
            labels[k, :ends[k] - starts[k]] = -100
    return input_ids, labels, np.ones(input_ids.shape, dtype=np.int8)


class ArrayPacker:
    """Packer on arrays: concatenates documents and emits full seq_len blocks, shape (blocks, seq_len); the
    remainder stays buffered (`len(self)` tokens)."""

    def __init__(self, seq_len: int):
        self.seq_len = seq_len
        self.buffer: list = []
        self.size = 0

    def __len__(self) -> int:
        return self.size

    def add(self, ids):
        self.buffer.append(ids)
        self.size += len(ids)
        n_full = self.size // self.seq_len
        if not n_full:
            return ids[:0].reshape(0, self.seq_len)
        joined = np.concatenate(self.buffer)
        cut = n_full * self.seq_len
        self.buffer, self.size = [joined[cut:]], self.size - cut
        return joined[:cut].reshape(n_full, self.seq_len)


def _document_lang(rec: dict, cfg: TokenizeConfig, path: Path) -> str | None:
    lang = rec.get(cfg.lang_field)
    if isinstance(lang, str) and lang:
        return lang
    return cfg.default_lang or (path.parent.name if len(path.parent.name) in (2, 3) else None)


def _iter_documents(path: Path, cfg: TokenizeConfig, rejects: RejectLog, counts: dict):
    """(doc_key, lang, text) of the good records; bad ones go through the on_bad_record policy. Empty or
    whitespace-only texts are well-formed records with nothing to train on: counted in counts["empty_documents"]."""
    for where, rec in iter_records(path, cfg.on_bad_record, rejects):
        text = rec.get(cfg.text_field)
        if not isinstance(text, str):
            handle_bad_record(where, f"no text in field {cfg.text_field!r}", rec, cfg.on_bad_record, rejects)
            continue
        if not text.strip():
            counts["empty_documents"] += 1
            continue
        lang = _document_lang(rec, cfg, path)
        if lang is None:
            handle_bad_record(where, f"no language: no {cfg.lang_field!r} field and no default_lang", rec,
                              cfg.on_bad_record, rejects)
            continue
        yield str(rec.get(cfg.id_field) or where), lang, text


def _batched(items, size: int):
    batch = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def part_name(path: Path) -> str:
    """Name of an input file's part: a hash of its resolved path, so that it does not depend on which other
    files are in the input set (an index in the sorted list would shift when a file is added)."""
    return hashlib.sha1(str(path.resolve()).encode("utf-8")).hexdigest()[:16]


def _part_files(parts_dir: Path, name: str) -> list[Path]:
    return [parts_dir / f"{name}.{split}.{ext}" for ext in PART_FORMATS for split in SPLITS] + [
        parts_dir / f"{name}.rejects.jsonl", parts_dir / f"{name}.stats.json"]


def _part_rows(parts_dir: Path, name: str, split: str) -> Path | None:
    """The file with a part's rows of `split`, if it has any."""
    return next((f for ext in PART_FORMATS if (f := parts_dir / f"{name}.{split}.{ext}").exists()), None)


def tokenize_part(unit: Unit) -> dict:
    """Tokenize one input file (a unit) into parts/<name>.{train,validation}.arrow and <name>.stats.json."""
    cfg: TokenizeConfig = unit.payload
    tok = load_tokenizer(cfg.tokenizer, cfg.trust_remote_code)
    path, parts_dir = Path(unit.inputs[0]), Path(cfg.output) / "parts"
    parts_dir.mkdir(parents=True, exist_ok=True)
    name = part_name(path)
    for old in _part_files(parts_dir, name):  # a part cut short by a kill or a failure is written anew
        old.unlink(missing_ok=True)
    rejects = RejectLog(parts_dir / f"{name}.rejects.jsonl")
    writer = PartWriter(parts_dir, name, with_mask=cfg.mode == "window")
    stats: dict[str, dict[str, dict]] = {s: {} for s in SPLITS}
    packers: dict[tuple[str, str], ArrayPacker] = {}
    bos = [tok.bos_token_id] if cfg.add_bos and tok.bos_token_id is not None else []
    pad_id = tok.pad_token_id if tok.pad_token_id is not None else tok.eos_token_id  # Llama 3 has no pad
    counts = {"empty_documents": 0}
    for batch in _batched(_iter_documents(path, cfg, rejects, counts), cfg.batch_docs):
        encoded = tok.encode([text for _, _, text in batch])
        for (key, lang, _), ids in zip(batch, encoded):
            split = "validation" if is_validation(key, cfg.val_ratio) else "train"
            doc = np.empty(len(bos) + len(ids) + 1, dtype=np.int32)
            doc[:len(bos)], doc[len(bos):-1], doc[-1] = bos, ids, tok.eos_token_id
            if cfg.mode == "window":
                input_ids, labels, mask = window_arrays(doc, cfg.seq_len, cfg.overlap, pad_id, cfg.mask_overlap)
            else:
                input_ids = packers.setdefault((split, lang), ArrayPacker(cfg.seq_len)).add(doc)
                labels, mask = input_ids, None
            s = stats[split].setdefault(lang, _empty_lang_stats())
            s["documents"] += 1
            s["tokens"] += len(doc)
            s["sequences"] += len(input_ids)
            s["padding_tokens"] += 0 if mask is None else int(mask.size - np.count_nonzero(mask))
            s["target_tokens"] += int(np.count_nonzero(labels[:, 1:] != -100))
            writer.add(split, input_ids, labels, mask, lang)
    for (split, lang), packer in packers.items():
        stats[split][lang]["dropped_tail_tokens"] += len(packer)
    writer.close()
    rejects.close()
    write_json(parts_dir / f"{name}.stats.json", {
        "input": str(path), "input_resolved": str(path.resolve()), "stats": stats, "rejected": rejects.count,
        "empty_documents": counts["empty_documents"]})
    print(f"tokenized {path}", flush=True)
    docs = sum(s["documents"] for split in SPLITS for s in stats[split].values())
    return {"documents": docs, "rejected": rejects.count, "empty_documents": counts["empty_documents"],
            "outputs": [str(f) for f in _part_files(parts_dir, name) if f.exists()]}


# ------------------------------------------------------------------------------------------- driver


def _shard_args(cfg: TokenizeConfig) -> tuple[int, int]:
    return resolve_shard_args(cfg.shard_index if cfg.shard_index >= 0 else None,
                              cfg.num_shards if cfg.num_shards > 0 else None)


def part_units(cfg: TokenizeConfig, files: list[Path]) -> list[Unit]:
    """One unit per input file, named by its resolved path (stable when other files are added)."""
    return [Unit(str(p.resolve()), inputs=(str(p),), payload=cfg) for p in files]


def assembly_unit(files: list[Path]) -> Unit:
    """The joined dataset. Its name covers the set of input files, so a file added before a rerun makes a new
    assembly (the new file's part is tokenized, the others are reused); its inputs are every file, so a changed
    file is a mismatch (error, or redo with on_mismatch redo), never a dataset mixed from two versions."""
    names = sorted(str(p.resolve()) for p in files)
    return Unit(f"dataset of {len(names)} input files {digest(names)}", inputs=tuple(str(p) for p in files))


def _merge_stats(parts: list[dict]) -> dict:
    merged: dict[str, dict[str, dict]] = {s: {} for s in SPLITS}
    for part in parts:
        for split in SPLITS:
            for lang, s in part["stats"][split].items():
                into = merged[split].setdefault(lang, _empty_lang_stats())
                for key, value in s.items():
                    into[key] += value
    return merged


def _joined_arrow(shards: list[Path], path: Path) -> Path:
    """The rows of the part files `shards`, in order, in one Arrow stream file (a batch at a time: memory stays
    bounded), for Dataset.from_file to map; cheaper than Dataset.from_parquet's builder."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    def batches(shard: Path):
        if shard.suffix == ".parquet":
            yield from pq.ParquetFile(shard).iter_batches(batch_size=1024)
            return
        with pa.memory_map(str(shard)) as source:
            yield from pa.ipc.open_stream(source)

    path.parent.mkdir(parents=True, exist_ok=True)
    stream = None
    with pa.OSFile(str(path), "wb") as sink:
        for shard in shards:
            for batch in batches(shard):
                stream = stream or pa.ipc.new_stream(sink, batch.schema)
                stream.write_batch(batch)
        stream.close()
    return path


def assemble(cfg: TokenizeConfig, files: list[Path], run: Run) -> dict:
    """Join every part into <output>/<split> (save_to_disk), rejects.jsonl and meta.json. Needs all parts done
    with this run's settings (a part made with others is a mismatch: error or redo, see Run.is_done)."""
    from datasets import Dataset

    out, parts_dir = Path(cfg.output), Path(cfg.output) / "parts"
    units = part_units(cfg, files)
    missing = [u.name for u in units
               if not (parts_dir / f"{part_name(Path(u.name))}.stats.json").exists() or not run.is_done(u)]
    if missing:
        raise UserError(f"{out}: {len(missing)} of {len(files)} input files are not tokenized yet (first: "
                        f"{missing[0]}); run the parts stage for every shard first")
    names = [part_name(p) for p in files]  # in sorted input order: the output does not depend on sharding
    parts = [json.loads((parts_dir / f"{n}.stats.json").read_text(encoding="utf-8")) for n in names]
    stats = _merge_stats(parts)
    sequences = {}
    for split in SPLITS:
        shards = [f for n in names if (f := _part_rows(parts_dir, n, split))]
        shutil.rmtree(out / split, ignore_errors=True)
        if not shards:
            continue
        cache = out / ".hf_cache"
        ds = Dataset.from_file(str(_joined_arrow(shards, cache / f"{split}.arrow")))
        ds.save_to_disk(str(out / split), num_shards=cfg.output_shards or None)
        sequences[split] = len(ds)
        del ds
        shutil.rmtree(cache, ignore_errors=True)
    # the file DatasetDict.save_to_disk writes: datasets.load_from_disk(<output>) then loads every split at once
    write_json(out / "dataset_dict.json", {"splits": list(sequences)})
    rejected = [r for n in names if (parts_dir / f"{n}.rejects.jsonl").exists()
                for r in read_jsonl(parts_dir / f"{n}.rejects.jsonl")]
    (out / "rejects.jsonl").unlink(missing_ok=True)
    if rejected:  # kept when parts/ goes: what was skipped, where and why
        write_jsonl(out / "rejects.jsonl", rejected)
    meta = build_meta(cfg, stats, sequences, sum(p["rejected"] for p in parts), len(files))
    meta["empty_documents"] = sum(p.get("empty_documents", 0) for p in parts)
    write_json(out / "meta.json", meta)
    if not cfg.keep_parts:
        shutil.rmtree(parts_dir)
        for unit in units:  # their files are gone: a later run must tokenize them again, not trust the markers
            run.forget(unit)
    return meta


def _assembled_already(run: Run, assembled: Unit) -> bool:
    """For a parts task: whether the joined dataset is there, made from these input files with these settings.
    Assembly deleted the parts and forgot their markers, so without this check a resubmitted parts array would
    tokenize everything again. Only looks: a dataset made otherwise is the assembly's to error on or redo (many
    array tasks must not delete it at once); with on_mismatch error it fails here already, before any work."""
    if run.on_mismatch == "error":
        return run.is_done(assembled)
    run.on_mismatch = "error"  # is_done then raises on a mismatch instead of deleting
    try:
        return run.is_done(assembled)
    except UserError:
        return False
    finally:
        run.on_mismatch = "redo"


def build_meta(cfg: TokenizeConfig, stats: dict, sequences: dict, rejected: int, n_inputs: int) -> dict:
    def totals(split: str) -> dict:
        t = _empty_lang_stats()
        for s in stats[split].values():
            for key, value in s.items():
                t[key] += value
        return t

    train = totals("train")
    slots = train["sequences"] * cfg.seq_len
    return {"tokenizer": cfg.tokenizer, "seq_len": cfg.seq_len, "mode": cfg.mode,
            "overlap": cfg.overlap if cfg.mode == "window" else 0, "mask_overlap": cfg.mask_overlap,
            "add_bos": cfg.add_bos, "add_eos": True, "val_ratio": cfg.val_ratio, "inputs": n_inputs,
            "rejected": rejected, "sequences": sequences, "languages": stats,
            "totals": {s: totals(s) for s in SPLITS},
            "padding_share": train["padding_tokens"] / slots if slots else 0.0}


def print_summary(meta: dict) -> None:
    print(f"{'split':<11}{'lang':<6}{'docs':>10}{'tokens':>14}{'sequences':>11}{'padding':>10}{'dropped':>9}")
    for split in SPLITS:
        for lang, s in sorted(meta["languages"][split].items()):
            print(f"{split:<11}{lang:<6}{s['documents']:>10,}{s['tokens']:>14,}{s['sequences']:>11,}"
                  f"{s['padding_tokens']:>10,}{s['dropped_tail_tokens']:>9,}")
    print(f"padding share of train: {100 * meta['padding_share']:.2f}%; rejected records: {meta['rejected']}; "
          f"empty documents skipped: {meta.get('empty_documents', 0)}")


def main(argv: list[str] | None = None) -> int:
    # settings, inputs and the tokenizer are checked before any work
    cfg = load_config(TokenizeConfig, argv, description=__doc__, prog="python -m pretrain.tokenize")
    files = expand_inputs(cfg.input)
    if not files:
        raise UserError(f"key 'input': no corpus files (parquet, jsonl[.gz], HF dataset dirs) in {cfg.input}")
    load_tokenizer(cfg.tokenizer, cfg.trust_remote_code)
    out = Path(cfg.output)
    task = (0, 1) if cfg.stage == "assemble" else _shard_args(cfg)
    with Run("pretrain.tokenize", out, cfg, task=task, depends_on=DEPENDS_ON, on_mismatch=cfg.on_mismatch) as run:
        assembled = assembly_unit(files)
        if (run.is_done(assembled) if cfg.stage != "parts" and run.num == 1 else
                cfg.stage != "assemble" and _assembled_already(run, assembled)):
            print(f"{out}: already tokenized from these {len(files)} input files with these settings")
            return run.exit_code
        print(f"in: {len(files)} input files -> {out} ({cfg.mode}, seq_len {cfg.seq_len})")
        if cfg.stage in ("all", "parts"):
            mine = run.slice(part_units(cfg, files))
            done = run.map(tokenize_part, mine, workers=cfg.num_proc)
            print(f"parts: {len(done)} tokenized now, {run.counts['units_skipped_done']} already done, "
                  f"{len(run.failed)} failed")
        if run.failed or cfg.stage == "parts" or run.num > 1:
            if not run.failed:
                print("assemble later with --stage assemble once every shard is done")
            return run.exit_code
        meta = assemble(cfg, files, run)
        run.mark_done(assembled, outputs=[p for p in (out / "train", out / "validation", out / "meta.json",
                                                       out / "dataset_dict.json", out / "rejects.jsonl")
                                          if p.exists()])
        print_summary(meta)
        print(f"out: {meta['sequences']} sequences in {out}/{{{','.join(meta['sequences'])}}}, meta.json")
        run.counts.update({"inputs": len(files), "rejected_total": meta["rejected"],
                           "sequences_train": meta["sequences"].get("train", 0),
                           "sequences_validation": meta["sequences"].get("validation", 0),
                           "tokens_train": meta["totals"]["train"]["tokens"],
                           "tokens_validation": meta["totals"]["validation"]["tokens"]})
    return run.exit_code


if __name__ == "__main__":
    sys.exit(cli(main, "python -m pretrain.tokenize"))
