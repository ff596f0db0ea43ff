"""Assemble document shards of every source into the corpus: clean, check language, deduplicate, decontaminate.

    python -m data_collection.build_corpus --config configs/data_collection/build_corpus.yaml \\
        --input out/filtered/documents,out/textbooks/documents,out/web/documents --output out/corpus

Stages (`--stage all` runs them in order in one process; at scale each runs as a Slurm array,
scripts/slurm/build_corpus_array.sbatch, the units of a stage split by shard_index/num_shards):
1. clean (unit: input shard): Unicode/whitespace normalisation, boilerplate lines (repeated in >=
   boilerplate_min_docs documents of the shard) stripped, documents shorter than min_chars dropped, language
   checked with fastText lid.176 (mismatches counted; dropped or kept by `langid`).
   -> _work/cleaned/<name>.parquet + .stats.json
2. signature (unit: language x cleaned shard): datatrove MinHash signatures (data_collection/corpus/dt_dedup.py) and
   which documents share an n-gram with a benchmark test question.
3. buckets (unit: language x band): datatrove's bucket stage, duplicate pairs per band (+ one exact-key band).
4. cluster (unit: language): clusters of duplicates; the copy from the earliest source in source_priority survives.
5. filter (unit: language x cleaned shard): duplicates and contaminated documents dropped, survivors written to
   <output>/<lang>/part-<i>.parquet, tokens counted.
6. stats (one task): removed/ lists, stats.json, stats.md, stats.png.
`--stage assemble` runs 2-6. Every unit is recorded done with a fingerprint (common/run.py): a rerun skips the units
whose inputs and settings are unchanged. An input added before a rerun is cleaned, and every language it holds is
deduplicated again from stage 2 (so are the languages of a removed input); an input changed since, or a setting the
output depends on, is a one-line error naming it (or, with `on_mismatch: redo`, that work is redone).
A unit that fails (an unreadable input) is listed in errors*.jsonl and the others go on (exit 1); the next stage
refuses to start until every unit of the one before it is done.

Input shards: the document record (DESIGN.md; data_collection/documents.py), parquet or JSONL. Parquet files
without `id` and `text` columns (e.g. the filter's rejected_scores) are skipped and counted; JSONL records are
checked one by one (bad lines and invalid records are counted as bad_records and listed next to the cleaned shard).
"""

from __future__ import annotations

import sys

from common.cli import UserError, cli
from common.config import load_config
from common.run import Run
from data_collection.corpus.clean_stage import clean_shard, clean_totals, clean_unit, documents_tasks
from data_collection.corpus.config import CLEAN_FIELDS, BuildCorpusConfig
from data_collection.corpus.stages import map_stage, run_assemble
from data_collection.shards import resolve_shard_args

COMMAND = "data_collection.build_corpus"


def check_config(cfg: BuildCorpusConfig) -> None:
    """The files the later stages read, checked before hours of work (the settings were by load_config)."""
    if cfg.stage != "clean":
        from common.token_count import check_tokenizer_dir
        from data_collection.corpus.decontaminate import check_sources

        check_tokenizer_dir(cfg.tokenizer)
        check_sources(cfg.mmedbench_test, cfg.benchmark_files)


def main(argv: list[str] | None = None) -> int:
    cfg = load_config(BuildCorpusConfig, argv, description=__doc__, prog=f"python -m {COMMAND}")
    check_config(cfg)
    index, num = resolve_shard_args(cfg.shard_index, cfg.num_shards)
    if num > 1 and cfg.stage in ("all", "assemble"):
        raise UserError(f"--stage {cfg.stage} runs whole stages in one task: give one stage per array "
                        "(scripts/slurm/build_corpus_array.sbatch), or num_shards 1")
    tasks, skipped = documents_tasks(cfg)
    print(f"build_corpus: {len(tasks)} document shard(s) ({skipped} non-document parquet file(s) skipped)")
    # the tasks of each stage's array write their own manifest; the lock is per task, across stages
    manifest = "manifest.json" if num == 1 else f"manifest.{cfg.stage}-{index:05d}-of-{num:05d}.json"
    with Run(COMMAND, cfg.output, cfg, task=(index, num), depends_on=CLEAN_FIELDS, on_mismatch=cfg.on_mismatch,
             manifest_name=manifest) as run:
        run.counts.update(input_shards=len(tasks), skipped_files=skipped)
        if cfg.stage in ("clean", "all"):
            units = run.slice([clean_unit(cfg, t) for t in tasks])
            map_stage(cfg, run, "clean", clean_shard, units)
            mine = {u.name for u in units}  # an array task counts (and logs) its own shards, not the stage's
            run.counts["clean"] = clean_totals(cfg, [t for t in tasks if clean_unit(cfg, t).name in mine], run)
            print(f"clean{' (this task)' if num > 1 else ''}: "
                  + ", ".join(f"{k} {v}" for k, v in run.counts["clean"].items()))
        if cfg.stage != "clean" and not run.failed:
            run_assemble(cfg, tasks, run)
    if run.failed:
        print(f"error: {len(run.failed)} unit(s) failed, listed in {cfg.output}/errors*.jsonl; rerun to retry "
              "them", file=sys.stderr)
    else:
        print(f"output: {cfg.output}")
    return run.exit_code


if __name__ == "__main__":
    sys.exit(cli(main, f"python -m {COMMAND}"))
