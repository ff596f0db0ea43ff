"""Run a suite of multilingual medical benchmarks on one model and write one report.

    python -m inference.suite --config configs/inference/suite_tiny.yaml            # CPU, tiny model, samples
    python -m inference.suite --config configs/inference/suite.yaml --model /models/MMed-Llama-3-8B \\
        --output outputs/suite/mmed-llama3

The YAML names the benchmarks (MMedBench, XMedBench, MedExpQA, KorMedMCQA, Global-MMLU, MMLU-ProX; docs/benchmarks.md
says what to download and where), their languages and how each is scored (`generate`: the answer is read from the
generated text; `loglik`: the most likely answer line). Each (benchmark, language) is one run of
`inference.generate` in `<output>/predictions/<benchmark>/<code>/`: the same prompts (common.prompts), the same
resume and fingerprint rules (a rerun generates only what is missing; other settings in a folder are an error, or
`on_mismatch: redo`). A missing file is one line naming the path; a bad record names its file and line.

The report (`<output>/report/`, replaced whole by each successful run) holds:
- results.md: per benchmark and language, questions, accuracy under the strict and the lenient answer rule with
  95% bootstrap intervals and how many outputs each rule read; MedExpQA's rationale similarity (BLEU/ROUGE against
  the doctors' explanations) where rationale mode was asked; Global-MMLU by cultural label (CS / CA); the reference
  rows (the paper's MMed-Llama 3, the authors' MMed-Llama 3.1-70B and GPT-4) beside ours;
- suite_accuracy.csv (one row per benchmark and language), suite_table.csv (one row per model: ours and the
  references, one column per benchmark:language), records.jsonl (every prediction as each rule read it);
- leaderboard/<benchmark>/{multi_choice_results,rationale_results}.csv in the leaderboard's columns.
"""

from __future__ import annotations

import sys
from pathlib import Path

from common.cli import cli
from common.config import config_from_dict, load_config
from common.run import Run
from inference.suite_config import SuiteConfig, SuiteUnit, suite_units
from inference.suite_report import write_report

# ---------------------------------------------------------------------------------------------- generation


def generate_config(cfg: SuiteConfig, unit: SuiteUnit):
    """The `inference.generate` config of one unit: the suite's model settings, the unit's data."""
    from inference.generation import GenerateConfig  # here: it loads torch, which `--help` does not need

    b = unit.bench
    data: dict = {"model": cfg.model, "adapter": cfg.adapter, "prompt_style": cfg.prompt_style,
                  "scoring": b.scoring, "modes": list(b.modes), "backend": cfg.backend, "batch_size": cfg.batch_size,
                  "max_new_tokens": cfg.max_new_tokens, "dtype": cfg.dtype, "device": cfg.device,
                  "cpu_threads": cfg.cpu_threads, "limit": b.limit, "on_bad_record": cfg.on_bad_record,
                  "on_mismatch": cfg.on_mismatch, "progress": cfg.progress, "shard_index": 0, "num_shards": 1,
                  "output": str(Path(cfg.output) / unit.folder)}
    if b.name == "mmedbench":
        data.update(data=b.path, languages=[unit.code])
    else:
        subsets = "+".join(b.subsets)
        data.update(benchmark=f"{b.name}:{unit.code}" + (f":{subsets}" if subsets else ""), benchmark_path=b.path)
    return config_from_dict(GenerateConfig, data, source=f"suite unit {b.name}:{unit.code}")


class SharedBackend:
    """The model, loaded on first use and then shared by every unit (a unit with nothing left to do loads
    nothing); every unit runs with the suite's model settings, so one load serves them all."""

    def __init__(self) -> None:
        self._backend = None

    def use(self, gcfg) -> SharedBackend:
        self._gcfg = gcfg
        return self

    def __getattr__(self, name: str):
        if self.__dict__.get("_backend") is None:
            from inference.generation import make_backend

            self._backend = make_backend(self._gcfg)
        return getattr(self._backend, name)


def run_unit(cfg: SuiteConfig, unit: SuiteUnit, backend: SharedBackend) -> int:
    """Generate (or loglik-score) one unit in its own folder; returns its exit status (1: some prompts failed)."""
    from inference import generation

    gcfg = generate_config(cfg, unit)
    generation.check_config(gcfg)
    gcfg.prompt_style = generation.resolve_prompt_style(gcfg)
    with Run("inference.generate", gcfg.output, gcfg, depends_on=generation.PREDICTION_DEPENDS_ON,
             on_mismatch=gcfg.on_mismatch) as run:
        generation.generate_task(gcfg, run, backend.use(gcfg))
    return run.exit_code


# ---------------------------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    cfg = load_config(SuiteConfig, argv, description=__doc__, prog="python -m inference.suite")
    units = suite_units(cfg)
    failed, backend = [], SharedBackend()
    for unit in units:
        print(f"== {unit.bench.name} {unit.code} ({unit.bench.scoring}) -> {Path(cfg.output) / unit.folder}")
        if run_unit(cfg, unit, backend):
            failed.append(f"{unit.bench.name}:{unit.code}")
    with Run("inference.suite", Path(cfg.output) / "report", cfg) as run:
        with run.outputs() as stage:
            counts = write_report(stage, cfg, units)
        run.counts.update(counts)
        run.extra["units_with_failed_prompts"] = failed
    print(f"report: {Path(cfg.output) / 'report' / 'results.md'}"
          + (f" ({len(failed)} unit(s) with failed prompts: {', '.join(failed)}; rerun to retry)" if failed else ""))
    return 1 if failed else 0

if __name__ == "__main__":
    sys.exit(cli(main, "python -m inference.suite"))
