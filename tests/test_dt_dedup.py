"""Batched work equals per-document work: our datatrove MinHash steps write datatrove's own files byte for byte
(the batched signature step against datatrove's per-document loop over our hooks, ArrayBuckets against
datatrove's heap merge: whole bands, small slices, a band split over several workers), and batched n-gram hashes
and decontamination checks equal those of each document."""

from __future__ import annotations

import filecmp
import json
import random
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
from datatrove.data import Document
from datatrove.pipeline.dedup.minhash import MinhashDedupBuckets, MinhashDedupSignature
from loguru import logger

from data_collection.corpus.decontaminate import build_index
from data_collection.corpus.dedup import batch_gram_hashes, dedup_key, gram_hashes, unit_hashes, units
from data_collection.corpus.dt_dedup import ArrayBuckets, PrioritySignature, minhash_config

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
        MinhashDedupSignature.run(theirs, iter(docs), rank=rank)  # get_shingles + get_signature per document
    return root / "ours", root / "theirs"


def _same_tree(a: Path, b: Path) -> None:
    names = sorted(p.relative_to(a) for p in a.rglob("*") if p.is_file())
    assert names and names == sorted(p.relative_to(b) for p in b.rglob("*") if p.is_file())
    for name in names:
        assert filecmp.cmp(a / name, b / name, shallow=False), name


def test_batched_signatures_equal_datatroves_loop(signatures):
    ours, theirs = signatures
    _same_tree(ours, theirs)
    docs = pq.read_table(ours.parent / "docs" / "00001.parquet").to_pylist()
    expected = _documents(Path(__file__).parent.parent / "samples", 1)
    assert [d["id"] for d in docs] == [d.id for d in expected]
    assert [d["key"] for d in docs] == [dedup_key(d.text) for d in expected]


def test_long_documents_and_empty_ones_sign_like_datatroves_loop(tmp_path):
    """A document longer than one chunk of shingles is hashed in pieces; one without units gets a zero shingle."""
    logger.disable("datatrove")
    words = [f"w{i % 97}x{i % 13}" for i in range(3000)]
    docs = [Document(text=t, id=str(i), metadata={"source": "web"})
            for i, t in enumerate([" ".join(words), "...", "", "short text", " ".join(words[:800]), "!?"])]
    ours = PrioritySignature(str(tmp_path / "ours"), CONFIG, True, str(tmp_path / "docs"))
    ours.chunk_shingles = 500
    ours.batch_docs = 4
    ours.run(iter(docs), rank=0)
    theirs = PrioritySignature(str(tmp_path / "theirs"), CONFIG, True, str(tmp_path / "docs-theirs"))
    MinhashDedupSignature.run(theirs, iter(docs), rank=0)
    _same_tree(tmp_path / "ours", tmp_path / "theirs")


@pytest.mark.parametrize("space", [True, False])
def test_batched_gram_hashes_equal_each_documents(samples_dir, space):
    lang = "en" if space else "zh"
    texts = ["", "a", "one two three", *pq.read_table(next((samples_dir / "culturax" / lang).glob("*.parquet")),
                                                      columns=["text"]).column("text").to_pylist()[:30]]
    per_doc = [unit_hashes(units(t, space)) for t in texts]
    offsets = np.concatenate([[0], np.cumsum([len(h) for h in per_doc])]).astype(np.int64)
    for n, whole in ((5, True), (5, False), (13, False), (50, True)):
        grams, starts = batch_gram_hashes(np.concatenate(per_doc), offsets, n, whole_if_short=whole)
        for d, h in enumerate(per_doc):
            assert grams[starts[d]:starts[d + 1]].tolist() == gram_hashes(h, n, whole_if_short=whole).tolist()


def test_batched_decontamination_finds_each_documents_first_hit(repo_root):
    """The batch check (bitmap, then the sorted index) reports, per document, the first n-gram that a plain
    lookup of each of its n-grams in the index finds (and whole short zh/ja questions after that)."""
    index = build_index(str(repo_root / "samples/mmedbench/Test"), [])
    for space, names in ((True, ("English", "French")), (False, ("Chinese", "Japanese"))):
        texts = ["nothing to see here " * 20]
        for name in names:
            for line in (repo_root / f"samples/mmedbench/Test/{name}.jsonl").read_text(encoding="utf-8").splitlines():
                texts.append("some corpus text before. " + json.loads(line)["question"] + " and after it.")
        unit_lists = [units(t, space) for t in texts]
        per_doc = [unit_hashes(u) for u in unit_lists]
        offsets = np.concatenate([[0], np.cumsum([len(h) for h in per_doc])]).astype(np.int64)
        batch = index.check_batch(unit_lists, np.concatenate(per_doc), offsets, space)
        n = index.word_n if space else index.char_n
        expected = {}
        for d, (u, h) in enumerate(zip(unit_lists, per_doc)):
            first = next((i for i, g in enumerate(gram_hashes(h, n).tolist()) if g in index.grams[space]), None)
            if first is not None:
                expected[d] = (index.grams[space][gram_hashes(h, n).tolist()[first]],
                               " ".join(u[first:first + n]) if space else u[first:first + n])
            elif not space:
                short = [(item, key) for key, item in index._short_items.items() if key in u]
                if short:
                    expected[d] = "short"
        assert {d: (h.benchmark_id, h.ngram) for d, h in batch.items() if d in expected and expected[d] != "short"} \
            == {d: e for d, e in expected.items() if e != "short"}
        assert set(batch) == set(expected)
        assert batch  # some questions are long enough to be found


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
