#!/usr/bin/env bash
# Fine-tune the tiny model on samples/mmedbench/Train with LoRA (one process) and fully (FSDP2, 2 CPU processes),
# then merge the LoRA adapter. Assumes the venv is active and the cwd is the repo root.
#   outputs/demo/finetune_lora/adapter   PEFT adapter (+ tokenizer)      outputs/demo/finetune_lora/merged  HF dir
#   outputs/demo/finetune_full/model     HF model dir
set -euo pipefail
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-1}"

# the continued-pretrained tiny model when the pretrain demo ran, else the tiny base model
BASE=""
for candidate in outputs/demo/pretrained outputs/demo/pretrained/model outputs/demo/pretrained/final artifacts/tiny-llama; do
  if [ -f "$candidate/config.json" ]; then BASE="$candidate"; break; fi
done
if [ -z "$BASE" ]; then
  python -m common.tiny_model --out artifacts/tiny-llama
  BASE=artifacts/tiny-llama
fi
echo "[demo_finetune] base model: $BASE"
rm -rf outputs/demo/finetune_lora outputs/demo/finetune_full outputs/demo/finetune_learnable   # fresh start

python -m finetune.run --config configs/finetune/tiny_lora.yaml --model "$BASE" \
  --data.train_dir samples/mmedbench/Train --train.output_dir outputs/demo/finetune_lora --train.max_steps 100
python -m finetune.merge --base "$BASE" --adapter outputs/demo/finetune_lora/adapter \
  --out outputs/demo/finetune_lora/merged

torchrun --standalone --nproc_per_node 2 -m finetune.run --config configs/finetune/tiny_full.yaml --model "$BASE" \
  --data.train_dir samples/mmedbench/Train --train.output_dir outputs/demo/finetune_full --train.max_steps 30

# the learnable task (samples/learnable): facts asked in new wordings at test time; shows the loop learns. It starts
# from the tiny base model, as tests/test_learnable.py does, so the demo shows the figure the test guards.
python -m finetune.run --config configs/finetune/tiny_learnable.yaml --model artifacts/tiny-llama \
  --train.output_dir outputs/demo/finetune_learnable

echo "[demo_finetune] learnable task: outputs/demo/finetune_learnable/model"
echo "[demo_finetune] LoRA adapter: outputs/demo/finetune_lora/adapter (merged: outputs/demo/finetune_lora/merged)"
echo "[demo_finetune] full fine-tune: outputs/demo/finetune_full/model"
echo "[demo_finetune] metrics: outputs/demo/finetune_{lora,full}/metrics.jsonl, counts in manifest.json"
