"""Our datatrove MinHash steps write datatrove's own files byte for byte: the batched signature step against
datatrove's per-document loop, ArrayBuckets against datatrove's heap merge (whole bands, small slices, and a band
split over several workers)."""

from __future__ import annotations

import filecmp
import random
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from datatrove.data import Document
from datatrove.pipeline.dedup.minhash import MinhashDedupBuckets, MinhashDedupSignature
from loguru import logger

from data_collection.dt_dedup import ArrayBuckets, PrioritySignature, minhash_config

CONFIG = minhash_config(num_buckets=6, hashes_per_bucket=4, shingle_size=5)


def _documents(samples_dir: Path, seed: int) -> list[Document]:
    """English and French sample documents with exact and one-word-changed copies (so bands have pairs)."""
    rng = random.Random(seed)
    texts = []
    for lang in ("en", "fr"):
        for path in sorted((samples_dir / "culturax" / lang).glob("*.parquet")):
            texts += pq.read_table(path, columns=["text"]).column("text").to_pylist()
    rng.shuffle(texts)
    docs = []
    for k, text in enumerate(texts):
        docs.append(text)
        if k % 5 == 0:
            docs.append(text)
        if k % 7 == 0:
            words = text.split(" ")
            words[rng.randrange(len(words))] = "changed"
            docs.append(" ".join(words))
    return [Document(text=t, id=f"d{seed}-{i}", metadata={"source": "web"}) for i, t in enumerate(docs)]


@pytest.fixture(scope="module")
def signatures(samples_dir, tmp_path_factory) -> tuple[Path, Path]:
    """Signatures of three files, written by our batched step (ours/) and by datatrove's loop (theirs/)."""
    logger.disable("datatrove")
    root = tmp_path_factory.mktemp("sigs")
    for rank in range(3):
        docs = _documents(samples_dir, rank)
        ours = PrioritySignature(str(root / "ours"), CONFIG, True, str(root / "docs"))
        ours.batch_docs = 17  # several batches per file, the last one partial
        ours.run(iter(docs), rank=rank)
        theirs = PrioritySignature(str(root / "theirs"), CONFIG, True, str(root / "docs-theirs"))
        MinhashDedupSignature.run(theirs, theirs._tracked(iter(docs), {"id": [], "source": [], "length": [],
                                                                       "key": []}), rank=rank)
    return root / "ours", root / "theirs"


def _same_tree(a: Path, b: Path) -> None:
    names = sorted(p.relative_to(a) for p in a.rglob("*") if p.is_file())
    assert names and names == sorted(p.relative_to(b) for p in b.rglob("*") if p.is_file())
    for name in names:
        assert filecmp.cmp(a / name, b / name, shallow=False), name


def test_batched_signatures_equal_datatroves_loop(signatures):
    ours, theirs = signatures
    _same_tree(ours, theirs)


@pytest.mark.parametrize("max_records,workers", [(2_000_000, 1), (40, 1), (2_000_000, 3)])
def test_array_buckets_equal_datatroves_merge(signatures, tmp_path, max_records, workers, monkeypatch):
    sigs, _ = signatures
    monkeypatch.setattr(ArrayBuckets, "max_records", max_records)
    world = CONFIG.num_buckets * workers
    for rank in range(world):
        ArrayBuckets(str(sigs), str(tmp_path / "ours"), config=CONFIG).run(None, rank=rank, world_size=world)
        MinhashDedupBuckets(str(sigs), str(tmp_path / "theirs"), config=CONFIG).run(None, rank=rank,
                                                                                     world_size=world)
    _same_tree(tmp_path / "ours", tmp_path / "theirs")
    assert sum(p.stat().st_size for p in (tmp_path / "ours").glob("*.dups")) > 0  # pairs were found
