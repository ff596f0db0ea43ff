"""Run a suite of multilingual medical benchmarks on one model and write one report.

    python -m inference.suite --config configs/inference/suite_tiny.yaml            # CPU, tiny model, samples
    python -m inference.suite --config configs/inference/suite.yaml --model /models/MMed-Llama-3-8B \\
        --output_dir outputs/suite/mmed-llama3

The YAML names the benchmarks (MMedBench, XMedBench, MedExpQA, KorMedMCQA, Global-MMLU, MMLU-ProX; docs/benchmarks.md
says what to download and where), their languages and how each is scored (`generate`: the answer is read from the
generated text; `loglik`: the most likely answer line). Each (benchmark, language) is one run of
`inference.generate` in `<output_dir>/predictions/<benchmark>/<code>/`: the same prompts (common.prompts), the same
resume and fingerprint rules (a rerun generates only what is missing; other settings in a folder are an error, or
`on_mismatch: redo`). A missing file is one line naming the path; a bad record names its file and line.

The report (`<output_dir>/report/`, replaced whole by each successful run) holds:
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
from dataclasses import dataclass, field
from pathlib import Path

from common.cli import UserError, cli
from common.config import config_from_dict, load_config
from common.languages import resolve
from common.prompts import STYLES
from common.run import ON_MISMATCH, Run
from inference import multilingual_benchmarks as multi

SCORINGS = ("generate", "loglik")
SUITE_BENCHMARKS = ("mmedbench", *multi.MULTILINGUAL_BENCHMARKS)


@dataclass
class SuiteBenchmark:
    name: str = field(default="", metadata={"help": f"one of {', '.join(SUITE_BENCHMARKS)}"})
    path: str = field(default="", metadata={
        "help": "the benchmark's download folder (MMedBench: its Test/ folder); docs/benchmarks.md"})
    languages: list[str] = field(default_factory=list, metadata={
        "help": "ISO codes (or names); empty = every language whose file is present"})
    subsets: list[str] = field(default_factory=list, metadata={
        "help": "Global-MMLU subjects / MMLU-ProX categories / KorMedMCQA exams; empty = the medical default"})
    scoring: str = field(default="generate", metadata={"help": "generate | loglik"})
    modes: list[str] = field(default_factory=lambda: ["answer"], metadata={
        "help": "answer and/or rationale (rationale: MMedBench, MedExpQA; loglik: answer only)"})
    limit: int = field(default=0, metadata={"help": "first N questions per language (0 = all)"})


@dataclass
class SuiteConfig:
    model: str = field(default="artifacts/tiny-llama", metadata={"help": "HF model dir"})
    adapter: str = field(default="", metadata={"help": "PEFT adapter dir"})
    model_name: str = field(default="ours", metadata={"help": "the model's name in the report's tables"})
    prompt_style: str = field(default="", metadata={
        "help": f"{' | '.join(STYLES)}; '' = the style recorded in the model dir, else mmedlm (docs/benchmarks.md)"})
    benchmarks: list[SuiteBenchmark] = field(default_factory=list, metadata={"help": "the benchmarks to run"})
    backend: str = field(default="hf", metadata={"help": "hf | vllm"})
    batch_size: int = field(default=16, metadata={"help": "prompts per batch"})
    max_new_tokens: int = field(default=512, metadata={"help": "generation length limit"})
    dtype: str = field(default="auto", metadata={"help": "auto | float32 | bfloat16 | float16"})
    device: str = field(default="auto", metadata={"help": "auto | cpu | cuda"})
    cpu_threads: int = field(default=0, metadata={"help": "torch CPU threads (0 = torch's default)"})
    output_dir: str = field(default="outputs/suite", metadata={"help": "predictions/ and report/ go here"})
    metrics: str = field(default="paper", metadata={"help": "rationale metrics: paper | corrected"})
    accuracy_rule: str = field(default="strict", metadata={"help": "rule of suite_table.csv: strict | lenient"})
    bootstrap_samples: int = field(default=1000, metadata={"help": "bootstrap resamples for the 95% intervals"})
    seed: int = field(default=0, metadata={"help": "bootstrap seed"})
    references: bool = field(default=True, metadata={"help": "put the published reference rows beside ours"})
    on_bad_record: str = field(default="error", metadata={"help": "error | skip (into rejects.jsonl, counted)"})
    on_mismatch: str = field(default="error", metadata={"help": "error | redo (see inference.generate)"})
    progress: bool = field(default=False, metadata={"help": "progress bars"})


@dataclass(frozen=True)
class SuiteUnit:
    """One (benchmark, language): one generation run and one row of the report."""

    bench: SuiteBenchmark
    code: str

    @property
    def folder(self) -> str:
        return f"predictions/{self.bench.name}/{self.code}"


# ---------------------------------------------------------------------------------------------- checking


def check_config(cfg: SuiteConfig) -> None:
    """Every problem of the suite YAML as one line naming the key, before anything runs."""
    if not cfg.benchmarks:
        raise UserError("key 'benchmarks': name at least one benchmark (docs/benchmarks.md)")
    if cfg.on_mismatch not in ON_MISMATCH:
        raise UserError(f"key 'on_mismatch': one of {ON_MISMATCH}, got {cfg.on_mismatch!r}")
    from inference.metrics import RATIONALE_METRIC_MODES
    from inference.scoring import ACCURACY_RULES

    if cfg.metrics not in RATIONALE_METRIC_MODES:
        raise UserError(f"key 'metrics': one of {RATIONALE_METRIC_MODES}, got {cfg.metrics!r}")
    if cfg.accuracy_rule not in ACCURACY_RULES:
        raise UserError(f"key 'accuracy_rule': one of {ACCURACY_RULES}, got {cfg.accuracy_rule!r}")
    seen = set()
    for i, b in enumerate(cfg.benchmarks):
        where = f"key 'benchmarks[{i}]'"
        if b.name not in SUITE_BENCHMARKS:
            raise UserError(f"{where}.name: unknown benchmark {b.name!r}; known: {', '.join(SUITE_BENCHMARKS)}")
        if b.name in seen:
            raise UserError(f"{where}.name: {b.name} is listed twice")
        seen.add(b.name)
        if b.scoring not in SCORINGS:
            raise UserError(f"{where}.scoring: one of {SCORINGS}, got {b.scoring!r}")
        if b.scoring == "loglik" and b.modes != ["answer"]:
            raise UserError(f"{where}.modes: loglik scores answer lines only: set modes: [answer]")
        if not b.path:
            raise UserError(f"{where}.path: the benchmark's folder is required (docs/benchmarks.md)")
        for code in b.languages:
            resolve(code)  # an unknown language is one line naming it


def suite_units(cfg: SuiteConfig) -> list[SuiteUnit]:
    """Every (benchmark, language) of the suite; a benchmark whose folder or language file is missing is one line
    naming the path looked for."""
    units = []
    for b in cfg.benchmarks:
        path = Path(b.path)
        if not path.is_dir():
            raise FileNotFoundError(f"{b.name}: folder not found: {path} (docs/benchmarks.md says what to download)")
        if b.name == "mmedbench":
            codes = [resolve(x).code for x in b.languages] or [
                resolve(p.stem).code for p in sorted(path.glob("*.jsonl")) if _known(p.stem)]
            for code in codes:  # a requested language without its file is named now, not after hours of others
                if not (path / f"{resolve(code).name}.jsonl").is_file():
                    raise FileNotFoundError(f"mmedbench: no file for language {code}: expected "
                                            f"{path / (resolve(code).name + '.jsonl')}")
        else:
            codes = [resolve(x).code for x in b.languages] or multi.available_languages(b.name, path)
            for code in codes:
                multi.language_files(b.name, path, code)
        if not codes:
            raise FileNotFoundError(f"{b.name}: no language files under {path} (docs/benchmarks.md)")
        units += [SuiteUnit(b, code) for code in codes]
    return units


def _known(stem: str) -> bool:
    try:
        resolve(stem)
        return True
    except ValueError:
        return False


# ---------------------------------------------------------------------------------------------- generation


def generate_config(cfg: SuiteConfig, unit: SuiteUnit):
    """The `inference.generate` config of one unit: the suite's model settings, the unit's data."""
    from inference.generate import GenerateConfig

    b = unit.bench
    data: dict = {"model": cfg.model, "adapter": cfg.adapter, "prompt_style": cfg.prompt_style,
                  "scoring": b.scoring, "modes": list(b.modes), "backend": cfg.backend, "batch_size": cfg.batch_size,
                  "max_new_tokens": cfg.max_new_tokens, "dtype": cfg.dtype, "device": cfg.device,
                  "cpu_threads": cfg.cpu_threads, "limit": b.limit, "on_bad_record": cfg.on_bad_record,
                  "on_mismatch": cfg.on_mismatch, "progress": cfg.progress, "shard_index": 0, "num_shards": 1,
                  "output_dir": str(Path(cfg.output_dir) / unit.folder)}
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
            from inference.generate import make_backend

            self._backend = make_backend(self._gcfg)
        return getattr(self._backend, name)


def run_unit(cfg: SuiteConfig, unit: SuiteUnit, backend: SharedBackend) -> int:
    """Generate (or loglik-score) one unit in its own folder; returns its exit status (1: some prompts failed)."""
    from inference import generate

    gcfg = generate_config(cfg, unit)
    generate.check_config(gcfg)
    gcfg.prompt_style = generate.resolve_prompt_style(gcfg)
    with Run("inference.generate", gcfg.output_dir, gcfg, depends_on=generate.PREDICTION_DEPENDS_ON,
             on_mismatch=gcfg.on_mismatch) as run:
        generate.generate_task(gcfg, run, backend.use(gcfg))
    return run.exit_code


# ---------------------------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    cfg = load_config(SuiteConfig, argv, description=__doc__, prog="python -m inference.suite")
    check_config(cfg)
    units = suite_units(cfg)
    failed, backend = [], SharedBackend()
    for unit in units:
        print(f"== {unit.bench.name} {unit.code} ({unit.bench.scoring}) -> {Path(cfg.output_dir) / unit.folder}")
        if run_unit(cfg, unit, backend):
            failed.append(f"{unit.bench.name}:{unit.code}")
    from inference.suite_report import write_report

    with Run("inference.suite", Path(cfg.output_dir) / "report", cfg) as run:
        with run.outputs() as stage:
            counts = write_report(stage, cfg, units)
        run.counts.update(counts)
        run.extra["units_with_failed_prompts"] = failed
    print(f"report: {Path(cfg.output_dir) / 'report' / 'results.md'}"
          + (f" ({len(failed)} unit(s) with failed prompts: {', '.join(failed)}; rerun to retry)" if failed else ""))
    return 1 if failed else 0

if __name__ == "__main__":
    sys.exit(cli(main, "python -m inference.suite"))
