"""What `inference.suite` runs: its config (the benchmarks, their languages and scoring, the model settings), the
checks of that config, and its units, one per (benchmark, language). The suite and its report both read these.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from common.cli import UserError
from common.languages import resolve
from common.prompts import STYLES
from common.run import ON_MISMATCH
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
    from inference.metrics import METRICS_CHOICES
    from inference.scoring import ACCURACY_RULES

    if cfg.metrics not in METRICS_CHOICES:
        raise UserError(f"key 'metrics': one of {METRICS_CHOICES}, got {cfg.metrics!r}")
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
