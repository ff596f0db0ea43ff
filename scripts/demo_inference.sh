#!/usr/bin/env bash
# Generate with the fine-tuned tiny model on samples/mmedbench/Test (answer and rationale modes) and on the English
# benchmark samples (loglik scoring), then write every evaluation table. Assumes the venv is active and the cwd is the repo
# root. On the MMedBench samples the tiny model is near chance (a pipeline check, not a result); on the learnable
# task (samples/learnable) it must score far above chance, which shows the loop is coherent (docs/inference.md).
#   outputs/demo/predictions/predictions.jsonl   MMedBench predictions
#   outputs/demo/predictions_<benchmark>/         MedQA, MedMCQA, PubMedQA, MMLU sample predictions (loglik)
#   outputs/demo/eval/                            results.md, accuracy_metric.csv, ..., accuracy.png
set -euo pipefail
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-1}"

# the model: the LoRA adapter of the finetune demo (its base from adapter_config.json), else the fully
# fine-tuned model, else the tiny base model
MODEL_ARGS=()
if [ -f outputs/demo/finetune_lora/adapter/adapter_config.json ]; then
  MODEL_ARGS=(--adapter outputs/demo/finetune_lora/adapter --model "")
  if [ -n "${BASE_MODEL:-}" ]; then MODEL_ARGS=(--adapter outputs/demo/finetune_lora/adapter --model "$BASE_MODEL"); fi
elif [ -f outputs/demo/finetune_full/model/config.json ]; then
  MODEL_ARGS=(--model outputs/demo/finetune_full/model)
else
  if [ ! -f artifacts/tiny-llama/config.json ]; then python -m common.tiny_model --out artifacts/tiny-llama; fi
  MODEL_ARGS=(--model artifacts/tiny-llama)
fi
echo "[demo_inference] model: ${MODEL_ARGS[*]}"
# a fresh start: generate refuses to resume into a folder written by another model
rm -rf outputs/demo/predictions outputs/demo/predictions_* outputs/demo/eval

python -m inference.generate --config configs/inference/tiny.yaml "${MODEL_ARGS[@]}" \
  --data samples/mmedbench/Test --modes answer,rationale --max_new_tokens 48 \
  --output_dir outputs/demo/predictions --progress false
# the English benchmark samples (Table 3), scored by option log-likelihood
BENCH_ARGS=()
for bench in medqa:samples/english/medqa/test.jsonl medmcqa:samples/english/medmcqa/dev.json \
             pubmedqa:samples/english/pubmedqa/ori_pqal.json mmlu:samples/english/mmlu; do
  name="${bench%%:*}"
  python -m inference.generate --config configs/inference/medqa_loglik.yaml "${MODEL_ARGS[@]}" \
    --benchmark "$name" --benchmark_path "${bench#*:}" --output_dir "outputs/demo/predictions_$name" --progress false
  BENCH_ARGS+=("demo=outputs/demo/predictions_$name")
done

# the learnable task's held-out questions, with the model fine-tuned on it (>= 90% expected; chance 25%)
python -m inference.generate --config configs/inference/tiny.yaml --model outputs/demo/finetune_learnable/model \
  --data samples/learnable/Test --modes answer,rationale --max_new_tokens 48 \
  --output_dir outputs/demo/predictions_learnable --progress false

# one model name over all folders: MMedBench tables and the Table-3 row side by side; the learnable task beside
python -m inference.evaluate --predictions demo=outputs/demo/predictions "${BENCH_ARGS[@]}" \
  learnable=outputs/demo/predictions_learnable --out outputs/demo/eval
sed -n '/## Accuracy/,/^### /p' outputs/demo/eval/results.md | head -n 12

echo "[demo_inference] predictions: outputs/demo/predictions/predictions.jsonl, outputs/demo/predictions_<benchmark>/"
echo "[demo_inference] tables: outputs/demo/eval/results.md (+ accuracy_metric.csv, rationale_similarity_metric.csv,"
echo "                 multi_choice_results.csv, rationale_results.csv, english_benchmarks.csv, accuracy.png)"
