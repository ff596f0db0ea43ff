"""Validate the bundled samples and print their counts.

    python -m common.check_samples --samples samples

Checks every MMedBench file with the same schema validation the stages use (a bad record stops with file:line)
and every CulturaX-style parquet shard for its columns. Prints one table per data set.
"""

from __future__ import annotations

import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from common.cli import cli
from common.config import load_config
from common.languages import MMEDBENCH_LANGUAGES
from common.mmedbench import load_split
from common.records import iter_parquet

CULTURAX_COLUMNS = ("text", "timestamp", "url", "source")


@dataclass
class CheckSamplesConfig:
    samples: str = field(default="samples", metadata={"help": "the samples folder"})


def mmedbench_counts(root: Path) -> dict[str, dict[str, int]]:
    """Per split and language: questions, multi-answer questions, human-check-passed rationales."""
    table: dict[str, dict[str, int]] = {}
    for split in ("Train", "Test"):
        records = load_split(root / split)
        for rec in records:
            row = table.setdefault(f"{split}/{rec.language}", Counter())
            row["questions"] += 1
            row["multi_answer"] += rec.is_multi_answer
            row["check_passed"] += rec.human_check_passed
    return {k: dict(v) for k, v in table.items()}


def culturax_counts(root: Path) -> dict[str, int]:
    counts: Counter = Counter()
    for path in sorted(root.glob("*/*.parquet")):
        for where, row in iter_parquet(path):
            missing = [c for c in CULTURAX_COLUMNS if c not in row]
            if missing:
                raise ValueError(f"{where}: missing CulturaX column(s) {missing}")
            counts[path.parent.name] += 1
    return dict(counts)


def main(argv: list[str] | None = None) -> None:
    cfg = load_config(CheckSamplesConfig, argv, description=__doc__, prog="python -m common.check_samples")
    root = Path(cfg.samples)
    table = mmedbench_counts(root / "mmedbench")
    print(f"{'MMedBench':<18}{'questions':>10}{'multi':>7}{'checked':>9}")
    for split in ("Train", "Test"):
        for language in MMEDBENCH_LANGUAGES:
            row = table.get(f"{split}/{language}")
            if row:
                print(f"{split + '/' + language:<18}{row['questions']:>10}{row['multi_answer']:>7}"
                      f"{row['check_passed']:>9}")
    web = culturax_counts(root / "culturax")
    print(f"\n{'CulturaX':<18}{'documents':>10}")
    for lang, n in sorted(web.items()):
        print(f"{lang:<18}{n:>10}")
    print(f"\nsamples OK: {sum(r['questions'] for r in table.values())} MMedBench questions, "
          f"{sum(web.values())} web documents")


if __name__ == "__main__":
    sys.exit(cli(main, "python -m common.check_samples"))
