"""Benchmark: the keyword filter end to end against the paper's matcher, in the same run, on one core.

    python scripts/bench_filter.py                          # en zh ja fr ru es, 20 MB of text each
    python scripts/bench_filter.py --langs es --mb 80 --repeat 3

Per language it writes one CulturaX-style parquet shard (`text`, `url`, `timestamp`, `source`) of web-style
documents: 2-8 paragraphs each, drawn from the sample documents of scripts/make_culturax_samples.py (general and
borderline pages; a `--medical_frac` share of documents from the medical pages). Then, alternating, `--repeat`
times each, in this process:

- ours: `python -m data_collection.filter` end to end (its `main()`: parquet read, normalisation or, for zh/ja, the
  raw-text path, matching, decisions, parquet write, stats, manifest) with the default config (the paper's lists
  and thresholds), 1 process;
- paper: the authors' released filter (MAGIC-AI4Med/MMedLM data_collection/filtering/filter.py, PAPER.md)
  transcribed: their `filter_file` (pandas read of the `text` column, one `match_keywords` per row, kept texts
  dumped to JSON) and their matcher: the union of the two lists, `list(set(...))` then lower-cased; keywords
  longer than 10 characters, or longer than 5 with a space, counted as substrings of the lower-cased text
  (`k in t`, `t.count(k)`), the others as members of `t.split()`, with the early return once the long keywords
  alone pass. Their code takes this whitespace path for zh/ja too (its `en_like` flag is never set), so that is
  what "the paper's matcher" times for every language; for zh/ja the branch they wrote for them (every keyword as
  a substring of the raw text, `k in t`, `t.count(k)`), which never runs there, is timed as well, for information.

It reports CPU seconds of this process (the least of the repeats: on a shared machine other load only adds time),
MB/s of input text (UTF-8) and the speed-up; wall seconds for information. Both sides read the same file in the
same run, so the ratio is the figure to compare across machines. It also checks that our kept documents are
exactly those of the definition (a per-keyword regex reference on NFKC + casefolded text; the script exits 1
otherwise), and prints how many documents each side keeps (the paper's matcher is not our definition: see
docs/data_collection.md). Not a test: timings depend on the machine.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import random
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "scripts"))

from common.languages import by_code  # noqa: E402
from data_collection.filtering.keyword_lists import keyword_list, load_keywords  # noqa: E402
from data_collection.filtering.matcher import PAPER_THRESHOLDS, Score, keep  # noqa: E402
from data_collection.filtering.normalise import normalise  # noqa: E402

LANGS = ("en", "zh", "ja", "fr", "ru", "es")


# ------------------------------------------------------------------------------------------------ input
def web_style_docs(lang: str, megabytes: float, medical_frac: float, seed: int) -> list[str]:
    """Documents of 2-8 paragraphs from the language's sample pages, until `megabytes` of UTF-8 text."""
    import make_culturax_samples as samples

    medical, general = [], []
    for category, text in samples.DOCS[lang]:
        paragraphs = [p for p in text.split("\n") if p.strip()]
        (medical if category == "med" else general).extend(paragraphs)
    rng = random.Random(seed)
    docs, size = [], 0
    while size < megabytes * 1e6:
        pool = medical if rng.random() < medical_frac else general
        doc = "\n".join(rng.choice(pool) for _ in range(rng.randint(2, 8)))
        docs.append(doc)
        size += len(doc.encode("utf-8"))
    return docs


def write_shard(path: Path, docs: list[str]) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    path.parent.mkdir(parents=True, exist_ok=True)
    n = len(docs)
    pq.write_table(pa.table({"text": docs, "url": [f"https://example.org/{i}" for i in range(n)],
                             "timestamp": ["2023/01/01 00:00:00"] * n, "source": ["mC4"] * n}), path)


# ------------------------------------------------------------------------------------------------ the paper's
class PaperMatcher:
    """The authors' MedicalTextFilter.load_keywords / match_keywords, transcribed (see the module docstring)."""

    def __init__(self, lang: str, cjk_branch: bool = False):
        words = [w for path in keyword_list(lang, "paper").paths for w in load_keywords(path)]
        keywords = list(set(words))
        for i in range(len(keywords)):
            keywords[i] = keywords[i].lower()
        self.long_keywords, self.short_keywords = [], []
        for keyword in keywords:
            if len(keyword) > 10 or (len(keyword) > 5 and len(keyword.split()) > 1):
                self.long_keywords.append(keyword)
            else:
                self.short_keywords.append(keyword)
        self.all_keywords = keywords
        self.en_like = by_code(lang).space_delimited or not cjk_branch  # as released: always True
        self.t_mkc, self.t_dens = PAPER_THRESHOLDS[lang]["mkc"], PAPER_THRESHOLDS[lang]["dens"]

    def match_keywords(self, text: str) -> bool:
        unique_hit_cnt, hit_cnt = 0, 0
        if self.en_like:
            lower_text = text.lower()
            for long_keyword in self.long_keywords:
                if long_keyword in lower_text:
                    unique_hit_cnt += 1
                    hit_cnt += lower_text.count(long_keyword) * len(long_keyword)
            if unique_hit_cnt >= self.t_mkc and hit_cnt / len(text) >= self.t_dens:
                return True
            split_text = lower_text.split()
            for short_keyword in self.short_keywords:
                if short_keyword in split_text:
                    unique_hit_cnt += 1
                    hit_cnt += split_text.count(short_keyword) * len(short_keyword)
        else:
            for keyword in self.all_keywords:
                if keyword in text:
                    unique_hit_cnt += 1
                    hit_cnt += text.count(keyword) * len(keyword)
        return unique_hit_cnt >= self.t_mkc and hit_cnt / len(text) >= self.t_dens


def paper_filter_file(shard: Path, matcher: PaperMatcher, out: Path) -> int:
    """Their filter_file: read the text column with pandas, match every row, dump the kept texts as JSON."""
    import pandas as pd

    df = pd.read_parquet(shard)["text"]
    medical_texts = [text for text in df if matcher.match_keywords(text)]
    with open(out, "w", encoding="utf-8") as f:
        json.dump({"text_cnt": len(df), "medical_text_cnt": len(medical_texts), "medical_texts": medical_texts}, f,
                  ensure_ascii=False, indent=4)
    return len(medical_texts)


# ------------------------------------------------------------------------------------------------ ours
def ours_end_to_end(shard_dir: Path, out: Path) -> int:
    """`python -m data_collection.filter` (its main()) on the shard folder, one process; returns docs kept."""
    from data_collection.filter import main as filter_main

    shutil.rmtree(out, ignore_errors=True)
    if filter_main(["--input", str(shard_dir), "--output", str(out), "--progress", "false", "--num_proc", "1"]):
        raise SystemExit("the filter failed")
    return json.loads((out / "manifest.json").read_text())["counts"]["kept"]


def definition_decisions(lang: str, docs: list[str]) -> list[bool]:
    """Keep/drop by the definition, written plainly: one boundary-aware regex per keyword on normalised text."""
    language = by_code(lang)
    keywords = list(dict.fromkeys(k for k in (normalise(w) for w in keyword_list(lang).words) if k))
    # the literal first, so `re` can jump to candidates with its fast literal search; the lookbehind after it checks
    # the character before the keyword (the same matches as (?<![^\W_])kw(?![^\W_]))
    wrap = ((lambda p: p + r"(?<![^\W_]" + p + r")(?![^\W_])") if language.space_delimited else (lambda p: p))
    patterns = [(len(k), re.compile(wrap(re.escape(k)))) for k in keywords]
    t = PAPER_THRESHOLDS[lang]
    out = []
    for doc in docs:
        text = normalise(doc)
        counts = [(length, sum(1 for _ in p.finditer(text))) for length, p in patterns]
        mkc = sum(1 for _, c in counts if c)
        dens = sum(length * c for length, c in counts) / len(text) if text else 0.0
        out.append(keep(Score(mkc, dens, len(text)), t["mkc"], t["dens"]))
    return out


def ours_kept_rows(out: Path) -> set[int]:
    import pyarrow.parquet as pq

    rows = set()
    for path in (out / "documents").glob("*.parquet"):
        for meta in pq.read_table(path, columns=["meta"]).column("meta").to_pylist():
            rows.add(int(json.loads(meta)["url"].rsplit("/", 1)[1]))
    return rows


# ------------------------------------------------------------------------------------------------ main
def timed(fn) -> tuple[object, float, float]:
    c0, w0 = time.process_time(), time.perf_counter()
    result = fn()
    return result, time.process_time() - c0, time.perf_counter() - w0


def bench_language(lang: str, args: argparse.Namespace, tmp: Path) -> dict:
    docs = web_style_docs(lang, args.mb, args.medical_frac, args.seed)
    mbytes = sum(len(d.encode("utf-8")) for d in docs) / 1e6
    shard_dir = tmp / "in" / lang
    write_shard(shard_dir / "part_0.parquet", docs)
    shard = shard_dir / "part_0.parquet"
    sides = {"paper": lambda: paper_filter_file(shard, PaperMatcher(lang), tmp / "paper.json"),
             "ours": lambda: ours_end_to_end(shard_dir, tmp / "out")}
    if not by_code(lang).space_delimited:
        sides["paper_cjk_branch"] = lambda: paper_filter_file(shard, PaperMatcher(lang, cjk_branch=True),
                                                              tmp / "paper.json")
    best = {name: (float("inf"), 0.0) for name in sides}
    kept = {}
    for _ in range(args.repeat):
        for name, fn in sides.items():
            kept[name], cpu, wall = timed(fn)
            best[name] = min(best[name], (cpu, wall))
    same = True
    if args.check:
        expected = {i for i, k in enumerate(definition_decisions(lang, docs)) if k}
        same = ours_kept_rows(tmp / "out") == expected
    (paper_cpu, paper_wall), (ours_cpu, ours_wall) = best["paper"], best["ours"]
    cjk = {}
    if "paper_cjk_branch" in best:
        cjk_cpu = best["paper_cjk_branch"][0]
        cjk = {"paper_cjk_branch_kept": kept["paper_cjk_branch"], "paper_cjk_branch_cpu_s": round(cjk_cpu, 3),
               "paper_cjk_branch_mb_s": round(mbytes / cjk_cpu, 1), "speedup_cjk_branch": round(cjk_cpu / ours_cpu, 1)}
    return {**cjk, "lang": lang, "mb": round(mbytes, 1), "docs": len(docs), "paper_kept": kept["paper"],
            "ours_kept": kept["ours"], "paper_cpu_s": round(paper_cpu, 3), "ours_cpu_s": round(ours_cpu, 3),
            "paper_wall_s": round(paper_wall, 3), "ours_wall_s": round(ours_wall, 3),
            "paper_mb_s": round(mbytes / paper_cpu, 1), "ours_mb_s": round(mbytes / ours_cpu, 1),
            "speedup": round(paper_cpu / ours_cpu, 1), "ours_equals_definition": same if args.check else None}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--langs", default=",".join(LANGS), help="comma list of en zh ja fr ru es")
    ap.add_argument("--mb", type=float, default=20.0, help="MB of UTF-8 text per language")
    ap.add_argument("--medical_frac", type=float, default=0.05, help="share of documents from medical pages")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--repeat", type=int, default=2, help="runs of each side; the least CPU time counts")
    ap.add_argument("--check", action=argparse.BooleanOptionalAction, default=True,
                    help="check our kept documents against the plain definition (regex per keyword)")
    ap.add_argument("--json", default=None, help="also write the results to this JSON file")
    args = ap.parse_args()
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for lang in args.langs.split(","):
            with contextlib.redirect_stdout(io.StringIO()):  # the filter's own summary table
                results.append(bench_language(lang.strip(), args, Path(tmp)))
    print(f"CPU seconds of one process, least of {args.repeat} runs each, alternating, same run and same input; "
          "MB = UTF-8 text")
    print("| lang | MB | docs | paper's matcher MB/s | ours end to end MB/s | speed-up | kept: paper / ours | "
          "ours = definition | zh/ja: paper's CJK branch MB/s, speed-up, kept |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |")
    for r in results:
        cjk = (f"{r['paper_cjk_branch_mb_s']}, {r['speedup_cjk_branch']}x, {r['paper_cjk_branch_kept']}"
               if "speedup_cjk_branch" in r else "")
        print(f"| {r['lang']} | {r['mb']} | {r['docs']} | {r['paper_mb_s']} | {r['ours_mb_s']} | {r['speedup']}x | "
              f"{r['paper_kept']} / {r['ours_kept']} | {r['ours_equals_definition']} | {cjk} |")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2), encoding="utf-8")
    return 0 if all(r["ours_equals_definition"] in (True, None) for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
