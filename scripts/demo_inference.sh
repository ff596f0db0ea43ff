#!/usr/bin/env bash
# Generate on samples/mmedbench/Test with the demo's LoRA-merged model and on the learnable task's held-out questions
# with the fully fine-tuned model it started from (demo_finetune.sh; answer and rationale modes), score the English
# benchmark samples by option log-likelihood, then write every evaluation table. Assumes the venv is active and
# the cwd is the repo root.
#   outputs/demo/predictions/              MMedBench predictions (model "demo" in the tables)
#   outputs/demo/predictions_learnable/    learnable-task predictions ("learnable")
#   outputs/demo/predictions_<benchmark>/  MedQA, MedMCQA, PubMedQA, MMLU sample predictions (loglik, "demo")
#   outputs/demo/eval/                     results.md, accuracy_metric.csv, ..., accuracy.png
# What the tables show: "learnable" far above chance in every language (the loop learns); "demo" near chance on
# MMedBench (a 600k-parameter model knows no medicine) with the answer line read in (nearly) every output.
set -euo pipefail
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-1}"

DEMO=outputs/demo/finetune_lora/merged
LEARNED=outputs/demo/finetune_full/model
for model in "$DEMO" "$LEARNED"; do
  if [ ! -f "$model/config.json" ]; then echo "[demo_inference] $model missing: run scripts/demo_finetune.sh" >&2; exit 2; fi
done
echo "[demo_inference] models: demo $DEMO, learnable $LEARNED"
# a fresh start: generate refuses to resume into a folder written by another model
rm -rf outputs/demo/predictions outputs/demo/predictions_* outputs/demo/eval

GEN=(python -m inference.generate --config configs/inference/tiny.yaml --modes answer,rationale)
"${GEN[@]}" --model "$DEMO" --data samples/mmedbench/Test --output outputs/demo/predictions
"${GEN[@]}" --model "$LEARNED" --data samples/learnable/Test --output outputs/demo/predictions_learnable
# the English benchmark samples (Table 3), scored by option log-likelihood
BENCH_ARGS=()
for bench in medqa:samples/english/medqa/test.jsonl medmcqa:samples/english/medmcqa/dev.json \
             pubmedqa:samples/english/pubmedqa/ori_pqal.json mmlu:samples/english/mmlu; do
  name="${bench%%:*}"
  python -m inference.generate --config configs/inference/medqa_loglik.yaml --model "$DEMO" \
    --benchmark "$name" --benchmark_path "${bench#*:}" --output "outputs/demo/predictions_$name"
  BENCH_ARGS+=("demo=outputs/demo/predictions_$name")
done

# one model name over the MMedBench and Table-3 folders; the learnable task beside it
python -m inference.evaluate --predictions demo=outputs/demo/predictions "${BENCH_ARGS[@]}" \
  learnable=outputs/demo/predictions_learnable --output outputs/demo/eval
sed -n '/## Accuracy/,/^strict:/p' outputs/demo/eval/results.md | grep '^|'
sed -n '/^### demo: per language/,/^## /p' outputs/demo/eval/results.md | grep '^|'

echo "[demo_inference] predictions: outputs/demo/predictions{,_learnable}/predictions.jsonl, outputs/demo/predictions_<benchmark>/"
echo "[demo_inference] tables: outputs/demo/eval/results.md (+ accuracy_metric.csv, rationale_similarity_metric.csv,"
echo "                 multi_choice_results.csv, rationale_results.csv, english_benchmarks.csv, accuracy.png)"
