#!/usr/bin/env bash
# Demo of continued pretraining on a CPU: tokenize the demo corpus, pretrain the tiny Llama for a few steps on
# 2 processes (torchrun, gloo, FSDP2), export it as a HF model dir. Assumes the venv is active, cwd = repo root,
# and artifacts/tiny-llama exists (python -m common.tiny_model).
set -euo pipefail
OUT=outputs/demo
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-1}" TOKENIZERS_PARALLELISM=false

# 1. tokenize: the corpus of the data demo if it ran, else the CulturaX samples directly (text field `text`)
if compgen -G "$OUT/corpus/*/*.parquet" > /dev/null; then
  INPUT="$OUT/corpus/*/*.parquet"
else
  INPUT="samples/culturax/*/*.parquet"
fi
rm -rf "$OUT/pretrain_tokens" "$OUT/pretrain_run" "$OUT/pretrained"   # the demo always starts fresh
echo "-- pretrain.tokenize: $INPUT -> $OUT/pretrain_tokens"
python -m pretrain.tokenize --config configs/pretrain/tokenize_tiny.yaml --input "$INPUT" \
  --output "$OUT/pretrain_tokens"

# 2. pretrain 40 steps on 2 CPU processes; 3. the HF export happens at the end of training
echo "-- pretrain.train: torchrun --nproc_per_node 2 (gloo)"
python -m torch.distributed.run --nproc_per_node 2 --master_port "${DEMO_PORT:-29531}" \
  -m pretrain.train --config configs/pretrain/tiny.yaml \
  --data "$OUT/pretrain_tokens" --train.output "$OUT/pretrain_run" --export_dir "$OUT/pretrained" \
  --train.max_steps 40 --train.eval_every 5

# train and held-out validation loss (val_ratio in tokenize_tiny.yaml keeps whole documents out of training)
python -m pretrain.plot --run "$OUT/pretrain_run"
echo "pretrain demo outputs: tokens $OUT/pretrain_tokens (meta.json), run $OUT/pretrain_run (metrics.jsonl," \
     "checkpoints/, loss.png), HF model $OUT/pretrained"
