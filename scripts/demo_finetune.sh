#!/usr/bin/env bash
# Fine-tune on a CPU: fully (FSDP2, 2 processes) on the learnable task in six languages, then LoRA on the MMedBench
# samples from that model, and merge the adapter. Assumes the venv is active and the cwd is the repo root.
#   outputs/demo/finetune_full/model       HF model dir, fully fine-tuned ("learnable" in the demo's tables)
#   outputs/demo/finetune_lora/adapter     PEFT adapter (+ tokenizer)
#   outputs/demo/finetune_lora/merged      HF model dir, the adapter merged ("demo" in the demo's tables)
set -euo pipefail
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-1}"

# the continued-pretrained tiny model when the pretrain demo ran, else the tiny base model
BASE=""
for candidate in outputs/demo/pretrained outputs/demo/pretrained/model outputs/demo/pretrained/final artifacts/tiny-llama; do
  if [ -f "$candidate/config.json" ]; then BASE="$candidate"; break; fi
done
if [ -z "$BASE" ]; then
  python -m common.tiny_model --output artifacts/tiny-llama
  BASE=artifacts/tiny-llama
fi
echo "[demo_finetune] base model: $BASE"
rm -rf outputs/demo/finetune_lora outputs/demo/finetune_full outputs/demo/finetune_learnable   # fresh start

# the learnable task (samples/learnable: drug-of-choice facts in six languages, multi-answer questions in French and
# Japanese, asked in new wordings at test time): a tiny model learns it in a few hundred steps, so the demo's tables
# show learning per language
torchrun --standalone --nproc_per_node 2 -m finetune.run --config configs/finetune/tiny_learnable.yaml --model "$BASE" \
  --train.output outputs/demo/finetune_full --train.parallelism fsdp --train.micro_batch_size 8

# LoRA on the MMedBench samples (answer mode) from that model, and the merge: the model then writes the answer line
# for the MMedBench prompts too, which are longer than the learnable task's, in every language. Their long rationales
# are left out: 40 steps of a 600k-parameter model cannot learn them and only unlearn the answer line.
python -m finetune.run --config configs/finetune/tiny_lora.yaml --model outputs/demo/finetune_full/model \
  --data.train_dir samples/mmedbench/Train --data.modes answer --train.output outputs/demo/finetune_lora \
  --train.max_steps 40
python -m finetune.merge --base outputs/demo/finetune_full/model --adapter outputs/demo/finetune_lora/adapter \
  --output outputs/demo/finetune_lora/merged

echo "[demo_finetune] full fine-tune (FSDP2, 2 processes): outputs/demo/finetune_full/model"
echo "[demo_finetune] LoRA adapter: outputs/demo/finetune_lora/adapter (merged: outputs/demo/finetune_lora/merged)"
echo "[demo_finetune] metrics: outputs/demo/finetune_{full,lora}/metrics.jsonl, counts in manifest.json"
