#!/usr/bin/env bash
# Run the whole pipeline on the bundled samples, on a CPU, in minutes. Outputs go to outputs/demo/.
#   bash scripts/demo.sh
# Each stage prints its wall and CPU seconds; the README's demo section says what the whole run costs.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
source scripts/setup_env.sh
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-1}" TOKENIZERS_PARALLELISM=false
# a log gets plain progress lines every 30 s (common/progress.py), not carriage-return bars; the libraries' bars
# (datasets, huggingface_hub) are off there too
export MMED_PROGRESS_EVERY="${MMED_PROGRESS_EVERY:-30}"
if [ ! -t 2 ]; then export HF_DATASETS_DISABLE_PROGRESS_BARS=1 HF_HUB_DISABLE_PROGRESS_BARS=1; fi
mkdir -p outputs/demo
TIMEFORMAT='   [%R s wall, %U s user + %S s system CPU]'

echo "== 1. samples =="
time python -m common.check_samples --samples samples

echo "== 2. tiny base model =="
time python -m common.tiny_model --output artifacts/tiny-llama

# Each stage's demo, in pipeline order; a stage that has not landed yet is skipped with a note.
for stage in sources data pretrain finetune inference; do
  script="scripts/demo_${stage}.sh"
  if [ -f "$script" ]; then
    echo "== ${stage} =="
    time bash "$script"
  else
    echo "== ${stage}: not available yet ($script missing) =="
  fi
done
echo "demo finished: outputs under $ROOT/outputs/demo, tiny model under $ROOT/artifacts/tiny-llama"
