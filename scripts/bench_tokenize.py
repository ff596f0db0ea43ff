"""Benchmark `python -m pretrain.tokenize` end to end against the authors' tokenizing loop, in the same run.

    python scripts/bench_tokenize.py                         # 20 MB of English web-style text, tiny tokenizer
    python scripts/bench_tokenize.py --mb 40 --repeat 3 --baseline_ref 068653c   # and an older commit

Input: English web-style documents of 1-8 of bench_build_corpus's ~1.7 KB texts each (~7.5 KB on average, so many
are longer than a 2048-token window of the tiny tokenizer), written once as one parquet shard (ours) and as one
text file per document (theirs). Each run is one process, in a fresh subprocess; `--repeat` rounds, alternating:

- authors: their loop as PAPER.md describes it and the released code runs it, one process: for each document file,
  `AutoTokenizer.encode` of its text (BOS by the tokenizer) plus EOS; a document shorter than seq_len padded with
  the pad token to seq_len, else windows of seq_len starting every seq_len - overlap tokens, the last one ending at
  the last token; one `np.save` per window;
- ours, window mode (the same windows; padding out of the loss) and pack mode, `--num_proc 1`.

Each is also run on a 20-document input: its CPU time is the start-up (imports, tokenizer load, the output's
bookkeeping), and the table shows both the end-to-end figures and those with the start-up taken off. CPU seconds
(user + sys of the process and its children) are the figure to compare on a shared machine: the least of the
repeats counts (other load only adds time). Checks, exit status 1 when one fails: our window-mode input_ids are
the authors' windows, in the same order; with --baseline_ref, both modes' datasets and meta.json equal that
commit's. Not a test: timings depend on the machine.
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "scripts"))

from bench_build_corpus import baseline_tree, make_docs, measure, workdir_and_tokenizer  # noqa: E402

# The authors' loop (PAPER.md: one encode per document file, windows of seq_len overlapping by `overlap`, short
# documents padded, one .npy per window), as a script: python authors_loop.py TOKENIZER FILE_LIST OUT SEQ OVERLAP
AUTHORS_LOOP = '''
import os, sys
import numpy as np
from transformers import AutoTokenizer

tokenizer_dir, file_list, out, seq_len, overlap = sys.argv[1:4] + [int(x) for x in sys.argv[4:6]]
tokenizer = AutoTokenizer.from_pretrained(tokenizer_dir)
os.makedirs(out, exist_ok=True)
with open(file_list) as f:
    paths = [line.strip() for line in f]
for path in paths:
    name = os.path.basename(path).split(".")[0]
    with open(path) as f:
        ids = tokenizer.encode(f.read()) + [tokenizer.eos_token_id]
    if len(ids) < seq_len:
        ids += [tokenizer.pad_token_id] * (seq_len - len(ids))
        np.save(os.path.join(out, f"{name}_0.npy"), np.array(ids))
        continue
    for n, start in enumerate(range(0, len(ids), seq_len - overlap)):
        last = start + seq_len >= len(ids)
        np.save(os.path.join(out, f"{name}_{n}.npy"), np.array(ids[-seq_len:] if last else ids[start:start + seq_len]))
        if last:
            break
'''


def web_documents(megabytes: float, seed: int = 0) -> list[str]:
    """Documents of 1-8 consecutive make_docs texts, until `megabytes` of UTF-8 text."""
    texts = [d["text"] for d in make_docs(int(megabytes * 1e6 / 1400) + 100, seed)]
    rng, docs, size, i = random.Random(seed), [], 0, 0
    while size < megabytes * 1e6 and i < len(texts):
        k = rng.randint(1, 8)
        docs.append("\n".join(texts[i:i + k]))
        size += len(docs[-1].encode("utf-8"))
        i += k
    return docs


def write_inputs(docs: list[str], folder: Path) -> None:
    """folder/corpus/en/*.parquet (ours) and folder/txt/*.txt with folder/files.txt listing them (theirs)."""
    from data_collection.documents import make_doc_id, write_document_shard

    write_document_shard(folder / "corpus" / "en" / "en_part_00000.parquet", [
        {"id": make_doc_id("web", "bench", i), "text": t, "lang": "en", "source": "web", "meta": {}}
        for i, t in enumerate(docs)])
    (folder / "txt").mkdir(parents=True)
    names = []
    for i, text in enumerate(docs):
        names.append(str(folder / "txt" / f"doc{i:07d}.txt"))
        Path(names[-1]).write_text(text, encoding="utf-8")
    (folder / "files.txt").write_text("\n".join(names) + "\n", encoding="utf-8")


def commands(inputs: Path, out: Path, tokenizer: Path, seq_len: int, overlap: int) -> dict[str, list[str]]:
    ours = [sys.executable, "-m", "pretrain.tokenize", "--input", str(inputs / "corpus"), "--tokenizer",
            str(tokenizer), "--seq_len", str(seq_len), "--overlap", str(overlap), "--num_proc", "1"]
    return {"authors": [sys.executable, str(inputs.parent / "authors_loop.py"), str(tokenizer),
                        str(inputs / "files.txt"), str(out / "authors"), str(seq_len), str(overlap)],
            "window": ours + ["--mode", "window", "--output", str(out / "window")],
            "pack": ours + ["--mode", "pack", "--output", str(out / "pack")]}


def same_windows(out: Path) -> tuple[bool, int]:
    """Are our window-mode input_ids the authors' .npy windows, document by document, window by window?"""
    import numpy as np
    from datasets import load_from_disk

    ours = load_from_disk(str(out / "window" / "train")).with_format("numpy")["input_ids"]
    files = sorted((out / "authors").glob("*.npy"), key=lambda p: tuple(int(x) for x in p.stem[3:].split("_")))
    theirs = [np.load(p) for p in files]
    return len(ours) == len(theirs) and all(np.array_equal(a, b) for a, b in zip(ours, theirs)), len(theirs)


def same_datasets(a: Path, b: Path) -> bool:
    from datasets import load_from_disk

    for split in ("train", "validation"):
        if (a / split).exists() != (b / split).exists():
            return False
        if (a / split).exists():
            x, y = load_from_disk(str(a / split)), load_from_disk(str(b / split))
            if x.features != y.features or not x.data.table.equals(y.data.table):
                return False
    meta_a, meta_b = (json.loads((p / "meta.json").read_text(encoding="utf-8")) for p in (a, b))
    return meta_a == meta_b


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mb", type=float, default=20, help="MB of input text")
    ap.add_argument("--seq_len", type=int, default=2048)
    ap.add_argument("--overlap", type=int, default=512)
    ap.add_argument("--repeat", type=int, default=2, help="alternating rounds; the least CPU time counts")
    ap.add_argument("--baseline_ref", default=None, help="also run pretrain.tokenize of this git commit")
    ap.add_argument("--tokenizer", default=None, help="HF tokenizer dir (default: build the tiny one)")
    ap.add_argument("--workdir", default=None, help="keep inputs/outputs here (default: a temporary folder)")
    args = ap.parse_args()
    work, tokenizer = workdir_and_tokenizer(args.workdir, args.tokenizer, "bench_tokenize.")
    work.mkdir(parents=True, exist_ok=True)
    (work / "authors_loop.py").write_text(AUTHORS_LOOP, encoding="utf-8")
    docs = web_documents(args.mb)
    sizes = {"full": docs, "start-up": docs[:20]}
    for size, chosen in sizes.items():
        if not (work / f"input-{args.mb:g}-{size}").exists():
            write_inputs(chosen, work / f"input-{args.mb:g}-{size}")
    trees = {"": REPO}
    if args.baseline_ref:
        trees[f" @{args.baseline_ref}"] = baseline_tree(work, args.baseline_ref)

    def out_dir(suffix: str, size: str) -> Path:
        return work / f"out{suffix.replace(' @', '-')}-{size.replace('-', '')}"

    best: dict[tuple[str, str], float] = {}
    for _ in range(args.repeat):
        for size in sizes:
            for suffix, tree in trees.items():
                out = out_dir(suffix, size)
                cmds = commands(work / f"input-{args.mb:g}-{size}", out, tokenizer, args.seq_len, args.overlap)
                for label, cmd in cmds.items():
                    if suffix and label == "authors":
                        continue
                    subprocess.run(["rm", "-rf", str(out / label)], check=True)
                    out.mkdir(parents=True, exist_ok=True)
                    cpu = measure(cmd, tree)["cpu_s"]
                    key = (label + suffix, size)
                    best[key] = min(cpu, best.get(key, cpu))
    mb = sum(len(d.encode("utf-8")) for d in docs) / 1e6
    out = out_dir("", "full")
    windows = len(list((out / "authors").glob("*.npy")))
    print(f"{len(docs)} documents, {mb:.1f} MB, seq_len {args.seq_len}, overlap {args.overlap}, "
          f"tokenizer {tokenizer}; least CPU s of {args.repeat} alternating runs")
    print("| run | files out | CPU s | MB/s | start-up CPU s (20 docs) | CPU s less start-up | vs authors | "
          "vs authors less start-up |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    a_full, a_start = best[("authors", "full")], best[("authors", "start-up")]
    for label in [k for k, size in best if size == "full"]:
        full, start = best[(label, "full")], best[(label, "start-up")]
        mode, suffix = label.split(" ")[0], label[len(label.split(" ")[0]):]
        files = windows if label == "authors" else sum(
            1 for p in (out_dir(suffix, "full") / mode).rglob("*") if p.is_file())
        print(f"| {label} | {files} | {full:.1f} | {mb / full:.2f} | {start:.1f} | {full - start:.1f} | "
              f"{a_full / full:.2f}x | {(a_full - a_start) / max(full - start, 1e-9):.2f}x |")
    ok, n = same_windows(out)
    print(f"window-mode input_ids equal the authors' {n} windows, in order: {'yes' if ok else 'NO'}")
    if args.baseline_ref:
        base_out = out_dir(f" @{args.baseline_ref}", "full")
        for mode in ("window", "pack"):
            same = same_datasets(out / mode, base_out / mode)
            ok = ok and same
            print(f"{mode} mode: datasets and meta.json equal those of {args.baseline_ref}: {'yes' if same else 'NO'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
