#!/usr/bin/env bash
# Run the whole pipeline on the bundled samples, on a CPU, in minutes. Outputs go to outputs/demo/.
#   bash scripts/demo.sh
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
source scripts/setup_env.sh
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-1}"
mkdir -p outputs/demo

echo "== 1. samples =="
python -m common.check_samples --samples samples

echo "== 2. tiny base model =="
python -m common.tiny_model --out artifacts/tiny-llama

# Each stage's demo, in pipeline order; a stage that has not landed yet is skipped with a note.
for stage in sources data pretrain finetune inference; do
  script="scripts/demo_${stage}.sh"
  if [ -f "$script" ]; then
    echo "== ${stage} =="
    bash "$script"
  else
    echo "== ${stage}: not available yet ($script missing) =="
  fi
done
echo "demo finished: outputs under $ROOT/outputs/demo, tiny model under $ROOT/artifacts/tiny-llama"
