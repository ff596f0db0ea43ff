"""What `inference.suite` runs: its config (the benchmarks, their languages and scoring, the model settings), the
checks of that config, and its units, one per (benchmark, language). The suite and its report both read these.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, get_args

from common.config import bad
from common.languages import resolve
from common.prompts import Mode, StyleName
from common.records import OnBadRecord
from common.run import OnMismatch
from inference import multilingual_benchmarks as multi
from inference.metrics import MetricsMode
from inference.multilingual_benchmarks import MultilingualBenchmark
from inference.scoring import AccuracyRule

SuiteBenchmarkName = Literal["mmedbench", MultilingualBenchmark]
SUITE_BENCHMARKS: tuple[str, ...] = get_args(SuiteBenchmarkName)


@dataclass
class SuiteBenchmark:
    name: SuiteBenchmarkName = field(metadata={"help": "the benchmark"})
    path: str = field(default="", metadata={
        "help": "the benchmark's download folder (MMedBench: its Test/ folder); docs/benchmarks.md"})
    languages: list[str] = field(default_factory=list, metadata={
        "help": "ISO codes (or names); empty = every language whose file is present"})
    subsets: list[str] = field(default_factory=list, metadata={
        "help": "Global-MMLU subjects / MMLU-ProX categories / KorMedMCQA exams; empty = the medical default"})
    scoring: Literal["generate", "loglik"] = field(default="generate", metadata={"help": "see inference.generate"})
    modes: list[Mode] = field(default_factory=lambda: ["answer"], metadata={
        "help": "answer and/or rationale (rationale: MMedBench, MedExpQA; loglik: answer only)"})
    limit: int = field(default=0, metadata={"help": "first N questions per language (0 = all)"})

    def validate(self) -> None:
        if self.scoring == "loglik" and self.modes != ["answer"]:
            bad("modes", "loglik scores answer lines only: set modes: [answer]")
        if not self.path:
            bad("path", "the benchmark's folder is required (docs/benchmarks.md)")
        for code in self.languages:
            try:
                resolve(code)
            except ValueError as err:
                bad("languages", str(err))
        if self.limit < 0:
            bad("limit", f"must be >= 0, got {self.limit}")


@dataclass
class SuiteConfig:
    model: str = field(default="artifacts/tiny-llama", metadata={"help": "HF model dir"})
    adapter: str = field(default="", metadata={"help": "PEFT adapter dir"})
    model_name: str = field(default="ours", metadata={"help": "the model's name in the report's tables"})
    prompt_style: Literal["", StyleName] = field(default="", metadata={
        "help": "'' = the style recorded in the model dir, else mmedlm (docs/benchmarks.md)"})
    benchmarks: list[SuiteBenchmark] = field(default_factory=list, metadata={"help": "the benchmarks to run"})
    backend: Literal["hf", "vllm"] = field(default="hf", metadata={"help": "see inference.generate"})
    batch_size: int = field(default=16, metadata={"help": "prompts per batch"})
    max_new_tokens: int = field(default=512, metadata={"help": "generation length limit"})
    dtype: Literal["auto", "float32", "bfloat16", "float16"] = field(default="auto", metadata={
        "help": "auto: bf16 on GPU, fp32 on CPU"})
    device: str = field(default="auto", metadata={"help": "auto | cpu | cuda"})
    cpu_threads: int = field(default=0, metadata={"help": "torch CPU threads (0 = torch's default)"})
    output: str = field(default="outputs/suite", metadata={"help": "predictions/ and report/ go here"})
    metrics: MetricsMode = field(default="paper", metadata={"help": "rationale metrics"})
    accuracy_rule: AccuracyRule = field(default="strict", metadata={"help": "rule of suite_table.csv"})
    bootstrap_samples: int = field(default=1000, metadata={"help": "bootstrap resamples for the 95% intervals"})
    seed: int = field(default=0, metadata={"help": "bootstrap seed"})
    references: bool = field(default=True, metadata={"help": "put the published reference rows beside ours"})
    on_bad_record: OnBadRecord = field(default="error", metadata={"help": "skip: into rejects.jsonl, counted"})
    on_mismatch: OnMismatch = field(default="error", metadata={"help": "see inference.generate"})
    progress: bool = field(default=False, metadata={"help": "progress bars"})

    def validate(self) -> None:
        if not self.benchmarks:
            bad("benchmarks", "name at least one benchmark (docs/benchmarks.md)")
        names = [b.name for b in self.benchmarks]
        for i, name in enumerate(names):
            if name in names[:i]:
                bad(f"benchmarks[{i}].name", f"{name} is listed twice")
        for name in ("batch_size", "max_new_tokens", "bootstrap_samples"):
            if getattr(self, name) < 1:
                bad(name, f"must be at least 1, got {getattr(self, name)}")


@dataclass(frozen=True)
class SuiteUnit:
    """One (benchmark, language): one generation run and one row of the report."""

    bench: SuiteBenchmark
    code: str

    @property
    def folder(self) -> str:
        return f"predictions/{self.bench.name}/{self.code}"


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
