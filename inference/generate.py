"""Generate answers (and rationales) on MMedBench `Test/` or an English benchmark; write predictions JSONL.

    python -m inference.generate --config configs/inference/tiny.yaml
    python -m inference.generate --model /models/MMed-Llama-3-8B --data MMedBench/Test --modes answer,rationale \\
        --output outputs/mmed-llama3 --batch_size 32 --dtype bfloat16
    python -m inference.generate --model /models/llama3 --adapter outputs/lora --benchmark medqa \\
        --benchmark_path data/medqa/test.jsonl --scoring loglik --output outputs/medqa
    sbatch --array=0-7 scripts/slurm/generate.sbatch configs/inference/<name>.yaml   # 8 shards

Prompts come from the prompt style (common.prompts) the model was fine-tuned with. Records (DESIGN.md): id, language,
mode, options, gold_answer, gold_rationale, human_check_passed, prompt, output (English benchmark records also
carry `benchmark`). They are appended and fsynced one batch at a time; a rerun skips the (question, mode) pairs
already in the file, so a killed job continues where it stopped. A question is known by its content (ids
`English-test-12-3fa9c2d1`, common.mmedbench.question_key), so a line inserted in the data moves nothing. The
folder remembers the settings its predictions depend on (model, adapter, prompt_style, scoring, max_new_tokens,
backend): a rerun with others, or on data that no longer holds a predicted question, is an error (or, with
`--on_mismatch redo`, this shard's predictions are deleted and made again), never a mix. A prompt longer than the
model's context (or max_prompt_tokens) is rejected into rejects.jsonl with its file:line; a batch that fails is
retried one prompt at a time, and a prompt that still fails goes to errors.jsonl (exit status 1) while the others
are written. With `--num_shards N` (default: SLURM_ARRAY_TASK_COUNT) shard i writes
predictions-<i>-of-<N>.jsonl (questions are assigned by a hash of their key); `inference.evaluate` reads the folder.
"""

from __future__ import annotations

import sys

from common.cli import cli
from common.config import load_config
from common.run import Run
from inference.generation import (
    PREDICTION_DEPENDS_ON,
    GenerateConfig,
    check_config,
    generate_task,
    resolve_prompt_style,
    resolve_shard,
)


def main(argv: list[str] | None = None) -> int:
    cfg = load_config(GenerateConfig, argv, description=__doc__, prog="python -m inference.generate")
    check_config(cfg)
    cfg.prompt_style = resolve_prompt_style(cfg)
    index, num = resolve_shard(cfg)
    with Run("inference.generate", cfg.output, cfg, task=(index, num), depends_on=PREDICTION_DEPENDS_ON,
             on_mismatch=cfg.on_mismatch) as run:
        generate_task(cfg, run)
    return run.exit_code


if __name__ == "__main__":
    sys.exit(cli(main, "python -m inference.generate"))
