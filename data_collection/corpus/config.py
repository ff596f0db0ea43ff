"""The settings of `python -m data_collection.build_corpus`, its stages, and where each stage writes."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from common.config import bad
from common.languages import LANGUAGES, by_code
from common.run import OnMismatch
from data_collection.shards import ShardTask

CLEAN_COUNTS = ("docs_in", "bad_records", "other_language", "too_short", "lang_mismatch", "lang_dropped",
                "boilerplate_lines", "docs_out")
LANGUAGE_CODES = {x.code for x in LANGUAGES}
DEFAULT_PRIORITY = ["textbook", "website", "wikipedia", "baike", "ufal", "web"]
STAGES = ("clean", "signature", "buckets", "cluster", "filter", "stats")
# config fields each output depends on (a change is a mismatch of that work; others, e.g. num_proc, are not)
CLEAN_FIELDS = ("languages", "min_chars", "boilerplate_min_docs", "boilerplate_max_chars", "langid",
                "langid_max_chars")
ASSEMBLE_FIELDS = ("dedup_exact", "dedup_near", "minhash_buckets", "minhash_hashes_per_bucket", "shingle_size",
                   "source_priority", "mmedbench_test", "benchmark_files", "decontam_word_n", "decontam_char_n",
                   "decontam_char_min", "tokenizer")


@dataclass
class BuildCorpusConfig:
    input: list[str] = field(default_factory=list, metadata={
        "help": "document shards of any source: globs, files, folders (parquet or JSONL); comma list"})
    output: str = field(default="", metadata={"help": "corpus folder: <lang>/ shards, stats.*, removed/"})
    stage: Literal["all", "clean", "assemble", "signature", "buckets", "cluster", "filter", "stats"] = field(
        default="all", metadata={"help": "all stages, clean, assemble (signature..stats), or one stage"})
    languages: list[str] = field(default_factory=list, metadata={"help": "keep only these (empty: all 8)"})
    min_chars: dict[str, int] = field(default_factory=lambda: {"default": 200, "zh": 80, "ja": 80}, metadata={
        "help": "minimum characters after cleaning, per language ('default' for the rest)"})
    boilerplate_min_docs: int = field(default=5, metadata={
        "help": "a line repeated in this many documents of one shard is boilerplate (0: off)"})
    boilerplate_max_chars: int = field(default=200, metadata={"help": "only lines up to this long can be boilerplate"})
    langid: Literal["drop", "keep", "off"] = field(default="drop", metadata={
        "help": "documents whose detected language differs from `lang`: drop, keep (counted either way), or off"})
    langid_max_chars: int = field(default=1000, metadata={"help": "characters given to the language identifier"})
    dedup_exact: bool = field(default=True, metadata={"help": "remove exact duplicates (normalised text hash)"})
    dedup_near: bool = field(default=True, metadata={"help": "remove near duplicates (datatrove MinHash LSH)"})
    minhash_buckets: int = field(default=14, metadata={
        "help": "LSH bands; with hashes_per_bucket r the similarity at which half the pairs are found is "
                "(1/bands)^(1/r): 14 x 8 gives 0.72 and finds 92% of pairs at 0.8 (datatrove's default)"})
    minhash_hashes_per_bucket: int = field(default=8, metadata={"help": "MinHash values per band"})
    shingle_size: int = field(default=5, metadata={"help": "words (zh/ja: characters) per shingle"})
    source_priority: list[str] = field(default_factory=lambda: list(DEFAULT_PRIORITY), metadata={
        "help": "which copy of a duplicate survives: earlier sources win; unlisted sources rank last"})
    mmedbench_test: str | None = field(default=None, metadata={
        "help": "MMedBench Test/ folder for decontamination (null: none)"})
    benchmark_files: list[str] = field(default_factory=list, metadata={
        "help": "more benchmark test files (JSONL/parquet with `question`) to decontaminate against"})
    decontam_word_n: int = field(default=13, metadata={"help": "n-gram length in words (space-delimited)"})
    decontam_char_n: int = field(default=50, metadata={"help": "n-gram length in characters (zh, ja)"})
    decontam_char_min: int = field(default=10, metadata={
        "help": "zh/ja questions shorter than decontam_char_n but at least this long are matched whole"})
    tokenizer: str = field(default="artifacts/tiny-llama", metadata={
        "help": "local HF tokenizer dir for token counts (e.g. a Llama 3 dir)"})
    num_proc: int = field(default=1, metadata={"help": "processes for the units of a stage"})
    shard_index: int | None = field(default=None, metadata={"help": "this task's slice of a stage's units "
                                                                    "(default: Slurm array)"})
    num_shards: int | None = field(default=None, metadata={"help": "slices (default: Slurm array)"})
    plot: bool = field(default=True, metadata={"help": "write stats.png"})
    progress: bool = field(default=True, metadata={"help": "print a line per stage (units run and skipped)"})
    on_mismatch: OnMismatch = field(default="error", metadata={
        "help": "work done with another input or settings: error (one line naming what changed), or redo"})

    def validate(self) -> None:
        for key in ("input", "output"):
            if not getattr(self, key):
                bad(key, "required (document shards in, the corpus folder out)")
        try:
            self.languages = [by_code(x).code for x in self.languages]
        except ValueError as err:
            bad("languages", str(err))
        for key in ("langid_max_chars", "minhash_buckets", "minhash_hashes_per_bucket", "shingle_size",
                    "decontam_word_n", "decontam_char_n", "decontam_char_min", "num_proc"):
            if getattr(self, key) < 1:
                bad(key, f"must be at least 1, got {getattr(self, key)}")
        for key in ("boilerplate_min_docs", "boilerplate_max_chars"):
            if getattr(self, key) < 0:
                bad(key, f"must be 0 or more, got {getattr(self, key)}")


def cleaned_path(cfg: BuildCorpusConfig, task: ShardTask) -> Path:
    return Path(cfg.output) / "_work" / "cleaned" / f"{task.name}.parquet"
