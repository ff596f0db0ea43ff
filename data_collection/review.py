"""Review sheets for the paper's manual check: sample sentences, let people mark them, score precision.

    python -m data_collection.review sample --corpus out/corpus --output review/ --per_language 100
    # people fill the `is_medical` column of review/review_<lang>.csv with 1/0 (yes/no, true/false)
    python -m data_collection.review score --sheets 'review/*.csv'

`sample` draws `per_language` random sentences per language (reservoir sampling over every sentence of the
corpus, seeded: same corpus and seed, same sheet) and writes one CSV per language with columns
item, lang, source, doc_id, sentence, is_medical (empty). `score` reads filled sheets and prints, per language,
the precision (share marked medical among the marked rows) with a 95% Wilson confidence interval; blank rows are
counted as unmarked, anything else unrecognised is an error naming the file and row.
"""

from __future__ import annotations

import csv
import math
import random
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

from common.config import load_config
from common.languages import by_code
from common.manifest import RunManifest
from common.records import atomic_path, expand_inputs, write_json
from data_collection.documents import iter_document_shard

COLUMNS = ("item", "lang", "source", "doc_id", "sentence", "is_medical")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|(?<=[。！？])|\n+")
YES = {"1", "yes", "y", "true", "t", "medical"}
NO = {"0", "no", "n", "false", "f", "not medical"}


@dataclass
class ReviewConfig:
    command: str = field(default="", metadata={"help": "sample | score"})
    corpus: str = field(default="", metadata={"help": "sample: corpus folder (<lang>/*.parquet) or document shards"})
    output: str = field(default="", metadata={"help": "sample: folder for review_<lang>.csv"})
    per_language: int = field(default=100, metadata={"help": "sample: sentences per language"})
    languages: list[str] = field(default_factory=list, metadata={"help": "sample: only these (empty: all found)"})
    min_sentence_chars: int = field(default=20, metadata={"help": "sample: shorter sentences are not drawn"})
    seed: int = field(default=0, metadata={"help": "sample: random seed"})
    sheets: list[str] = field(default_factory=list, metadata={"help": "score: filled CSV sheets (globs)"})


def split_sentences(text: str, min_chars: int) -> list[str]:
    return [s.strip() for s in _SENTENCE_END.split(text) if len(s.strip()) >= min_chars]


def sample_sentences(cfg: ReviewConfig) -> dict[str, list[dict]]:
    """Reservoir sample of `per_language` sentences per language over the whole corpus."""
    rng = random.Random(cfg.seed)
    wanted = {by_code(x).code for x in cfg.languages}
    reservoirs: dict[str, list[dict]] = {}
    seen: dict[str, int] = {}
    for path in expand_inputs(cfg.corpus):
        if not str(path).endswith(".parquet"):
            continue
        for doc in iter_document_shard(path):
            if wanted and doc["lang"] not in wanted:
                continue
            for sentence in split_sentences(doc["text"], cfg.min_sentence_chars):
                lang = doc["lang"]
                n = seen[lang] = seen.get(lang, 0) + 1
                item = {"lang": lang, "source": doc["source"], "doc_id": doc["id"], "sentence": sentence}
                res = reservoirs.setdefault(lang, [])
                if len(res) < cfg.per_language:
                    res.append(item)
                else:
                    j = rng.randrange(n)
                    if j < cfg.per_language:
                        res[j] = item
    return reservoirs


def write_sheet(path: Path, rows: list[dict]) -> None:
    with atomic_path(path, suffix=".csv") as tmp:
        with open(tmp, "w", encoding="utf-8", newline="") as f:
            w = csv.DictWriter(f, fieldnames=COLUMNS)
            w.writeheader()
            for i, row in enumerate(rows, 1):
                w.writerow({**row, "item": f"{row['lang']}-{i}", "is_medical": ""})


def wilson_interval(k: int, n: int, z: float = 1.959964) -> tuple[float, float]:
    """95% Wilson score interval of a proportion k/n (well behaved at 0 and 1, unlike the normal one)."""
    if n == 0:
        return 0.0, 1.0
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def read_marks(paths: list[Path]) -> dict[str, dict[str, int]]:
    """lang -> {"medical", "not_medical", "unmarked"} from filled sheets; bad values raise with file:row."""
    out: dict[str, dict[str, int]] = {}
    for path in paths:
        with open(path, encoding="utf-8", newline="") as f:
            reader = csv.DictReader(f)
            missing = {"lang", "is_medical"} - set(reader.fieldnames or [])
            if missing:
                raise ValueError(f"{path}: missing column(s) {sorted(missing)}")
            for row_no, row in enumerate(reader, 2):
                counts = out.setdefault(row["lang"], {"medical": 0, "not_medical": 0, "unmarked": 0})
                mark = (row["is_medical"] or "").strip().lower()
                if not mark:
                    counts["unmarked"] += 1
                elif mark in YES:
                    counts["medical"] += 1
                elif mark in NO:
                    counts["not_medical"] += 1
                else:
                    raise ValueError(f"{path}:{row_no}: is_medical must be 1/0 (yes/no, true/false), got {mark!r}")
    return out


def precision_table(marks: dict[str, dict[str, int]]) -> tuple[str, dict]:
    lines = ["| lang | marked | medical | precision % | 95% CI | unmarked |", "| --- | ---: | ---: | ---: | --- | ---: |"]
    result = {}
    for lang in sorted(marks):
        c = marks[lang]
        n = c["medical"] + c["not_medical"]
        lo, hi = wilson_interval(c["medical"], n)
        prec = c["medical"] / n if n else float("nan")
        result[lang] = {**c, "precision": prec, "ci95": [lo, hi]}
        lines.append(f"| {lang} | {n} | {c['medical']} | {100 * prec:.1f} | [{100 * lo:.1f}, {100 * hi:.1f}] | "
                     f"{c['unmarked']} |")
    return "\n".join(lines), result


def run(cfg: ReviewConfig) -> int:
    if cfg.command == "sample":
        if not cfg.corpus or not cfg.output:
            raise SystemExit("error: sample needs --corpus and --output")
        manifest = RunManifest("data_collection.review", cfg.output, cfg)
        samples = sample_sentences(cfg)
        for lang, rows in sorted(samples.items()):
            write_sheet(Path(cfg.output) / f"review_{lang}.csv", rows)
            print(f"{lang}: {len(rows)} sentence(s) -> {Path(cfg.output) / f'review_{lang}.csv'}")
        manifest.finish({lang: len(rows) for lang, rows in samples.items()})
        if not samples:
            print("error: no sentences found in the corpus", file=sys.stderr)
            return 1
        return 0
    if cfg.command == "score":
        paths = [p for spec in cfg.sheets for p in expand_inputs_any(spec)]
        if not paths:
            raise SystemExit("error: score needs --sheets (filled CSV files)")
        table, result = precision_table(read_marks(paths))
        print(table)
        if cfg.output:
            write_json(Path(cfg.output) / "review_scores.json", result)
        return 0
    raise SystemExit(f"error: command must be sample or score, got {cfg.command!r}")


def expand_inputs_any(spec: str) -> list[Path]:
    """Globs or files of any extension (expand_inputs only lists record files inside folders)."""
    import glob

    matches = sorted(glob.glob(spec)) if any(ch in spec for ch in "*?[") else [spec]
    paths = [Path(m) for m in matches]
    for p in paths:
        if not p.is_file():
            raise FileNotFoundError(f"review sheet not found: {p}")
    if not paths:
        raise FileNotFoundError(f"no review sheet matches {spec}")
    return paths


def main(argv: list[str] | None = None) -> int:
    cfg = load_config(ReviewConfig, argv, description=__doc__, prog="python -m data_collection.review",
                      positional=("command",))
    return run(cfg)


if __name__ == "__main__":
    sys.exit(main())
