"""Retention after continued pretraining: a model before and after, scored by option log-likelihood on MMedBench
and the four English benchmarks of the paper's Table 3, in one table (before, after, change).

    python scripts/retention.py --before /models/Meta-Llama-3-8B --after outputs/pretrain/mmed-llama3-8b/hf \
        --mmedbench /data/MMedBench/Test --english /data/english --output outputs/retention
    python scripts/retention.py --before artifacts/tiny-llama --after outputs/demo/pretrained --output outputs/retention

`--english` is a folder with the published files as docs/inference.md names them (medqa/test.jsonl,
medmcqa/dev.json, pubmedqa/ori_pqal.json, mmlu/ with MMLU's data/test CSVs; default: the bundled samples). Each
model is scored with `inference.generate --scoring loglik --modes answer` (resumable: a rerun scores only what is
missing) and the tables come from `inference.evaluate` (before and after as two models); this script adds the
change and writes <out>/retention.md and retention.csv. Log-likelihood scoring reads no generated text, so a base
model that was never taught the answer format is measured fairly (the paper's English-benchmark protocol).
"""

from __future__ import annotations

import csv
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from common.cli import UserError, cli  # noqa: E402
from common.config import load_config  # noqa: E402
from common.records import atomic_path  # noqa: E402

ENGLISH = {"medqa": "medqa/test.jsonl", "medmcqa": "medmcqa/dev.json", "pubmedqa": "pubmedqa/ori_pqal.json",
           "mmlu": "mmlu"}


@dataclass
class RetentionConfig:
    before: str = field(default="", metadata={"help": "HF model dir before continued pretraining (the base)"})
    after: str = field(default="", metadata={"help": "HF model dir after it"})
    mmedbench: str = field(default=str(ROOT / "samples/mmedbench/Test"), metadata={"help": "MMedBench Test/ dir"})
    english: str = field(default=str(ROOT / "samples/english"), metadata={
        "help": "folder of the English benchmarks' files (medqa/, medmcqa/, pubmedqa/, mmlu/)"})
    output: str = field(default="outputs/retention", metadata={"help": "output folder"})
    dtype: Literal["auto", "float32", "bfloat16"] = field(default="auto", metadata={"help": "model dtype"})
    device: Literal["auto", "cuda", "cpu"] = field(default="auto", metadata={"help": "where the models run"})
    batch_size: int = field(default=16, metadata={"help": "prompts per forward pass"})
    limit: int = field(default=0, metadata={"help": "questions per benchmark and language (0 = all; a quick look)"})


def _generate(*args: str) -> None:
    from inference import generate

    if generate.main(list(args)):
        raise UserError(f"inference.generate {' '.join(args)}: some units failed (its errors file names them)")


def score(cfg: RetentionConfig, name: str, model: str, out: Path) -> list[str]:
    """Loglik predictions of one model on MMedBench and each English benchmark; evaluate's --predictions."""
    common = ["--model", model, "--scoring", "loglik", "--modes", "answer", "--dtype", cfg.dtype, "--device",
              cfg.device, "--batch_size", str(cfg.batch_size), "--progress", "false", "--limit", str(cfg.limit)]
    _generate(*common, "--data", cfg.mmedbench, "--output", str(out / name / "mmedbench"))
    folders = [f"{name}={out / name / 'mmedbench'}"]
    for bench, rel in ENGLISH.items():
        path = Path(cfg.english) / rel
        if not path.exists():
            raise FileNotFoundError(f"{path}: the {bench} file (--english names the folder; docs/inference.md)")
        _generate(*common, "--benchmark", bench, "--benchmark_path", str(path), "--output", str(out / name / bench))
        folders.append(f"{name}={out / name / bench}")
    return folders


def _rows(path: Path) -> dict[str, dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as f:
        return {row["Model"]: row for row in csv.DictReader(f)}


def retention_rows(eval_dir: Path) -> list[tuple[str, float, float]]:
    """(column, before, after) for every MMedBench language and English benchmark column with both values."""
    rows = []
    for table in ("accuracy_metric.csv", "english_benchmarks.csv"):
        by_model = _rows(eval_dir / table)
        before, after = by_model["before"], by_model["after"]
        prefix = "MMedBench " if table == "accuracy_metric.csv" else ""
        rows += [(prefix + col, float(before[col]), float(after[col])) for col in before
                 if col != "Model" and before[col] and after[col]]
    return rows


def write_tables(out: Path, rows: list[tuple[str, float, float]]) -> Path:
    md = ["# Retention: accuracy (%) by option log-likelihood, before and after", "",
          "| benchmark | before | after | change |", "| --- | --- | --- | --- |"]
    md += [f"| {name} | {b:.2f} | {a:.2f} | {a - b:+.2f} |" for name, b, a in rows]
    with atomic_path(out / "retention.md", suffix=".md") as tmp:
        Path(tmp).write_text("\n".join(md) + "\n", encoding="utf-8")
    with atomic_path(out / "retention.csv", suffix=".csv") as tmp, open(tmp, "w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["benchmark", "before", "after", "change"])
        writer.writerows([(name, f"{b:.2f}", f"{a:.2f}", f"{a - b:+.2f}") for name, b, a in rows])
    return out / "retention.md"


def main(argv: list[str] | None = None) -> int:
    cfg = load_config(RetentionConfig, argv, description=__doc__, prog="python scripts/retention.py")
    for key in ("before", "after"):
        if not (Path(getattr(cfg, key)) / "config.json").is_file():
            raise FileNotFoundError(f"--{key} {getattr(cfg, key)}: no HF model dir (config.json) there")
    out = Path(cfg.output)
    folders = score(cfg, "before", cfg.before, out) + score(cfg, "after", cfg.after, out)
    from inference import evaluate

    evaluate.main(["--predictions", *folders, "--output", str(out / "eval"), "--bertscore", "false"])
    table = write_tables(out, retention_rows(out / "eval"))
    print(table.read_text(encoding="utf-8"))
    return 0


if __name__ == "__main__":
    sys.exit(cli(main, "python scripts/retention.py"))
