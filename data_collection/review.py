"""Review sheets for the paper's manual check: sample sentences, let people mark them, score precision.

    python -m data_collection.review sample --corpus out/corpus --output review/ --per_language 100
    # people fill the `is_medical` column of review/review_<lang>.csv with 1/0 (yes/no, true/false)
    python -m data_collection.review score --sheets 'review/*.csv'

`sample` draws `per_language` random sentences per language (reservoir sampling over every sentence of the
corpus, seeded: same corpus and seed, same sheet) and writes one CSV per language with columns
item, lang, source, doc_id, sentence, is_medical (empty). `score` reads filled sheets and prints, per language,
the precision (share marked medical among the marked rows) with a 95% Wilson confidence interval; blank rows are
counted as unmarked, anything else unrecognised is an error naming the file and row.

Runs on common/run.py (docs/run.md): `sample` is one unit fingerprinted by the corpus shards' content and the
settings in DEPENDS_ON, so a rerun never overwrites sheets people may be filling: with the same corpus and
settings it does nothing, with others it stops with one line naming what changed (`--on_mismatch redo` draws the
sheets again). Files of the corpus that are not document shards (the removed/ lists) are counted, not read; a
document that cannot be used (no text, unknown language) is counted as bad and skipped. `score` with --output
writes review_scores.json under the folder's lock. Errors are one line (exit 2) through cli().
"""

from __future__ import annotations

import csv
import math
import random
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from common.cli import UserError, cli
from common.config import bad, load_config
from common.languages import by_code
from common.records import UnreadableFileError, atomic_path, expand_inputs, write_json
from common.run import OnMismatch, Run, Unit
from data_collection.documents import normalise_document

COLUMNS = ("item", "lang", "source", "doc_id", "sentence", "is_medical")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|(?<=[。！？])|\n+")
YES = {"1", "yes", "y", "true", "t", "medical"}
NO = {"0", "no", "n", "false", "f", "not medical"}
DEPENDS_ON = ("per_language", "languages", "min_sentence_chars", "seed")  # what the drawn sheets depend on


@dataclass
class ReviewConfig:
    command: Literal["sample", "score"] | None = field(default=None, metadata={
        "help": "draw the sheets, or score the filled ones (also the first positional argument)"})
    corpus: str = field(default="", metadata={"help": "sample: corpus folder (<lang>/*.parquet) or document shards"})
    output: str = field(default="", metadata={"help": "sample: folder for review_<lang>.csv"})
    per_language: int = field(default=100, metadata={"help": "sample: sentences per language"})
    languages: list[str] = field(default_factory=list, metadata={"help": "sample: only these (empty: all found)"})
    min_sentence_chars: int = field(default=20, metadata={"help": "sample: shorter sentences are not drawn"})
    seed: int = field(default=0, metadata={"help": "sample: random seed"})
    sheets: list[str] = field(default_factory=list, metadata={"help": "score: filled CSV sheets (globs)"})
    on_mismatch: OnMismatch = field(default="error", metadata={
        "help": "sample: sheets drawn before from another corpus or settings: error, or redo (deletes them, marks "
                "included, and draws again)"})

    def validate(self) -> None:
        if self.command is None:
            bad("command", "give sample or score")
        if self.command != "sample":
            return
        for name in ("corpus", "output"):
            if not getattr(self, name):
                bad(name, "sample needs it")
        for name in ("per_language", "min_sentence_chars"):
            if getattr(self, name) < 1:
                bad(name, f"must be at least 1, got {getattr(self, name)}")
        for code in self.languages:
            try:
                by_code(code)
            except ValueError as err:
                bad("languages", str(err))


def split_sentences(text: str, min_chars: int) -> list[str]:
    return [s.strip() for s in _SENTENCE_END.split(text) if len(s.strip()) >= min_chars]


def corpus_shards(cfg: ReviewConfig) -> tuple[list[Path], list[Path]]:
    """(document shards, other files) of the corpus: only parquet shards hold documents."""
    paths = expand_inputs(cfg.corpus)
    return ([p for p in paths if str(p).endswith(".parquet")], [p for p in paths if not str(p).endswith(".parquet")])


def _documents(path: Path, bad: list[int]) -> Iterator[dict]:
    """The shard's usable documents; a row that is not one (no text, unknown language) is counted in bad[0]."""
    import pyarrow.parquet as pq

    row = 0
    try:
        for batch in pq.ParquetFile(path).iter_batches(batch_size=1024):
            for rec in batch.to_pylist():
                row += 1
                try:
                    yield normalise_document(rec)
                except ValueError:
                    bad[0] += 1
    except (OSError, ValueError) as err:  # ArrowInvalid is a ValueError: empty, truncated, not parquet
        raise UnreadableFileError(f"{path}: not a readable parquet file after {row} rows ({err})") from err


def sample_sentences(cfg: ReviewConfig, shards: list[Path], bad: list[int] | None = None) -> dict[str, list[dict]]:
    """Reservoir sample of `per_language` sentences per language over the whole corpus."""
    rng = random.Random(cfg.seed)
    wanted = {by_code(x).code for x in cfg.languages}
    reservoirs: dict[str, list[dict]] = {}
    seen: dict[str, int] = {}
    bad = [0] if bad is None else bad
    for path in shards:
        for doc in _documents(path, bad):
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
        try:
            _read_sheet(path, out)
        except UnicodeDecodeError as err:  # a sheet saved by a spreadsheet in a legacy encoding
            raise UserError(f"{path}: not UTF-8 ({err.reason} at byte {err.start}); save the sheet as UTF-8 CSV") from None
    return out


def _read_sheet(path: Path, out: dict[str, dict[str, int]]) -> None:
    with open(path, encoding="utf-8-sig", newline="") as f:  # -sig: spreadsheets often write a BOM
        reader = csv.DictReader(f)
        missing = {"lang", "is_medical"} - set(reader.fieldnames or [])
        if missing:
            raise UserError(f"{path}: missing column(s) {sorted(missing)}")
        for row_no, row in enumerate(reader, 2):
            if not (row["lang"] or "").strip():
                raise UserError(f"{path}:{row_no}: the lang column is empty")
            counts = out.setdefault(row["lang"].strip(), {"medical": 0, "not_medical": 0, "unmarked": 0})
            mark = (row["is_medical"] or "").strip().lower()
            if not mark:
                counts["unmarked"] += 1
            elif mark in YES:
                counts["medical"] += 1
            elif mark in NO:
                counts["not_medical"] += 1
            else:
                raise UserError(f"{path}:{row_no}: is_medical must be 1/0 (yes/no, true/false), got {mark!r}")


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


def sample(cfg: ReviewConfig) -> int:
    """Draw the sheets once per corpus and settings: a rerun never overwrites sheets being filled."""
    shards, others = corpus_shards(cfg)
    if not shards:
        raise UserError(f"key 'corpus': no document shards (.parquet) in {cfg.corpus}")
    out = Path(cfg.output)
    with Run("data_collection.review", out, cfg, depends_on=DEPENDS_ON, on_mismatch=cfg.on_mismatch) as run:
        unit = Unit("sample", inputs=tuple(str(p.resolve()) for p in shards))  # the same files from any folder
        run.counts.update(shards=len(shards), other_files_not_read=len(others))
        if run.is_done(unit):
            print(f"review: the sheets in {out} were drawn from this corpus with these settings; nothing to do")
            return run.exit_code
        bad = [0]
        samples = sample_sentences(cfg, shards, bad)
        run.counts["bad_documents"] = bad[0]
        if not samples:
            raise UserError(f"{cfg.corpus}: no sentence of at least {cfg.min_sentence_chars} characters"
                            + (f" in {cfg.languages}" if cfg.languages else ""))
        written = []
        for lang, rows in sorted(samples.items()):
            written.append(out / f"review_{lang}.csv")
            write_sheet(written[-1], rows)
            print(f"{lang}: {len(rows)} sentence(s) -> {written[-1]}")
        if others or bad[0]:
            print(f"review: {len(others)} file(s) that are not document shards not read; {bad[0]} unusable "
                  "document(s) skipped")
        run.mark_done(unit, {f"sentences_{lang}": len(rows) for lang, rows in samples.items()}, written)
    return run.exit_code


def score(cfg: ReviewConfig) -> int:
    paths = [p for spec in cfg.sheets for p in expand_inputs_any(spec)]
    if not paths:
        raise UserError("key 'sheets': score needs the filled CSV files")
    table, result = precision_table(read_marks(paths))
    print(table)
    if cfg.output:
        # often the sample folder: its own manifest, and config.yaml keeps describing the sheets
        with Run("data_collection.review", cfg.output, manifest_name="manifest-score.json") as run:
            write_json(Path(cfg.output) / "review_scores.json", result)
            run.extra["sheets"] = [str(p) for p in paths]
            run.counts.update(sheets=len(paths), marked=sum(r["medical"] + r["not_medical"] for r in result.values()))
    return 0


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
    return sample(cfg) if cfg.command == "sample" else score(cfg)


if __name__ == "__main__":
    sys.exit(cli(main, "python -m data_collection.review"))
