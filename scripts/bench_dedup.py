"""Benchmark build_corpus's deduplication stages (datatrove MinHash): time and peak memory per stage as the
corpus grows, on synthetic documents.

    python scripts/bench_dedup.py                      # 10,000 and 100,000 documents
    python scripts/bench_dedup.py --million            # and 1,000,000 (about 1.2 GB of text; tens of minutes)

Documents (~1.2 KB of English words drawn with Zipf frequencies from samples/; 1% exact and 2% near copies, one
word changed, of documents anywhere earlier, so copies cross shards) are written as parquet shards of 10,000
rows. The clean stage runs once (`--langid off`: language ID is not what is measured here), then each of
signature, buckets, cluster and filter runs as its own process (`--stage <stage> --num_proc 1`), as one Slurm
array task would run its units one after another. Per stage: units, wall and CPU seconds (user + sys) and the
peak resident memory of that process, which is the figure a Slurm task must be given: it stays flat as the corpus
grows for the per-shard and per-band stages; the cluster stage holds only documents that have a copy.
Last column: planted copies found. Not a test: timings depend on the machine and its load.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench_build_corpus import measure, workdir_and_tokenizer  # noqa: E402

from data_collection.documents import make_doc_id, write_document_shard  # noqa: E402

STAGES = ("signature", "buckets", "cluster", "filter")
ROWS_PER_SHARD = 10_000


def vocabulary() -> tuple[list[str], np.ndarray]:
    """Words of the English samples, with Zipf weights (a few frequent words, a long tail)."""
    import pyarrow.parquet as pq

    texts = pq.read_table(REPO / "samples/culturax/en/en_part_00000.parquet", columns=["text"]).column("text")
    words = sorted({w.strip(".,;:()\"'").lower() for t in texts.to_pylist() for w in t.split()} - {""})
    weights = 1.0 / np.arange(1, len(words) + 1)
    return words, weights / weights.sum()


def write_input(n: int, folder: Path, seed: int = 0) -> dict[str, set[str]]:
    """Shards of synthetic documents; returns the ids of the planted copies (exact, near)."""
    rng = np.random.default_rng(seed)
    words, p = vocabulary()
    vocab = np.array(words, dtype=object)
    texts: list[str] = []
    planted: dict[str, set[str]] = {"exact": set(), "near": set()}
    for start in range(0, n, ROWS_PER_SHARD):
        rows = min(ROWS_PER_SHARD, n - start)
        lengths = rng.integers(150, 250, rows)
        drawn = vocab[rng.choice(len(vocab), size=int(lengths.sum()), p=p)]
        docs, at = [], 0
        for k in range(rows):
            i, r = start + k, rng.random()
            if texts and r < 0.03:
                words_of = texts[int(rng.integers(len(texts)))].split(" ")
                if r < 0.01:
                    planted["exact"].add(make_doc_id("web", "bench", i))
                else:
                    words_of[int(rng.integers(len(words_of)))] = "changed"
                    planted["near"].add(make_doc_id("web", "bench", i))
                text = " ".join(words_of)
            else:
                text = " ".join(drawn[at:at + lengths[k]])
            at += lengths[k]
            texts.append(text)
            docs.append({"id": make_doc_id("web", "bench", i), "text": text, "lang": "en", "source": "web",
                         "meta": {}})
        write_document_shard(folder / f"en_part_{start // ROWS_PER_SHARD:05d}.parquet", docs)
    return planted


def command(inputs: Path, out: Path, tokenizer: Path, stage: str) -> list[str]:
    return [sys.executable, "-m", "data_collection.build_corpus", "--config",
            "configs/data_collection/build_corpus.yaml", "--input", str(inputs), "--output", str(out),
            "--tokenizer", str(tokenizer), "--stage", stage, "--langid", "off", "--num_proc", "1",
            "--progress", "false", "--plot", "false"]


def found(out: Path, planted: dict[str, set[str]]) -> str:
    """Planted copies among the removed documents; a copy's original may be the one removed (it is the same
    text, or the longer of two near copies), so a pair counts as found when either side was removed."""
    import pyarrow.parquet as pq

    removed = pq.read_table(out / "_work/dedup/en/remove/removed.parquet", columns=["id", "kept_id"]).to_pylist()
    gone = {r["id"] for r in removed} | {r["kept_id"] for r in removed}
    return ", ".join(f"{k} {len(v & gone)}/{len(v)}" for k, v in planted.items()) + f" ({len(removed)} removed)"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--docs", default="10000,100000", help="comma list of document counts")
    ap.add_argument("--million", action="store_true", help="also run 1,000,000 documents")
    ap.add_argument("--tokenizer", default=None, help="HF tokenizer dir (default: build the tiny one)")
    ap.add_argument("--workdir", default=None, help="keep inputs/outputs here (default: a temporary folder)")
    args = ap.parse_args()
    work, tokenizer = workdir_and_tokenizer(args.workdir, args.tokenizer, "bench_dedup.")
    sizes = [int(x) for x in args.docs.split(",")] + ([1_000_000] if args.million else [])
    print("| docs | stage | units | wall s | CPU s | peak MB | planted copies found |")
    print("| ---: | --- | ---: | ---: | ---: | ---: | --- |")
    for n in sizes:
        inputs, out = work / f"input-{n}", work / f"out-{n}"
        planted = write_input(n, inputs)
        subprocess.run(["rm", "-rf", str(out)], check=True)
        shards = -(-n // ROWS_PER_SHARD)
        units = {"clean": shards, "signature": shards, "buckets": 15, "cluster": 1, "filter": shards}
        for stage in ("clean", *STAGES):
            r = measure(command(inputs, out, tokenizer, stage), REPO)
            note = found(out, planted) if stage == "cluster" else ""
            print(f"| {n} | {stage} | {units[stage]} | {r['wall_s']:.1f} | {r['cpu_s']:.1f} | {r['peak_mb']:.0f} | "
                  f"{note} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
