#!/usr/bin/env bash
# The engine's GPU checks in one run, under 10 minutes on one H100 (not part of the tests: CI has no GPU).
#
#   bash scripts/gpu_check.sh            # results in outputs/gpu_check/ (or $OUT), summary printed last
#
# 1. MFU of training on the Llama-3-8B layer shape (4 of its 32 layers, full vocabulary, seq 2048, BF16), eager
#    and with torch.compile + the compiled loss (scripts/bench_train.py).
#    The same eager run with 8 documents per sequence masked to themselves (--document_mask's cost).
# 2. Measured peak memory (torch.cuda.max_memory_allocated) against pretrain.plan's memory model for the same
#    runs, plus one with activation checkpointing and 4 micro-batches per step.
# 3. BF16 batched generation against one prompt at a time on the same prompts (scripts/bench_generate.py, the
#    tiny model built from samples/): how many greedy outputs are identical.
# Uses the Python it finds (PYTHON, default python3) with a CUDA build of torch; nothing is installed.
# GPU_CHECK_DEVICE=cpu runs the same steps on a small shape on the CPU (a check of the script itself).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PY="${PYTHON:-python3}"
RESULTS="${OUT:-$ROOT/outputs/gpu_check}"
mkdir -p "$RESULTS"
export PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 HF_DATASETS_OFFLINE=1 TOKENIZERS_PARALLELISM=false
DEVICE="${GPU_CHECK_DEVICE:-cuda}"
if [ "$DEVICE" = cuda ]; then
  "$PY" -c "import torch; assert torch.cuda.is_available(), 'no CUDA device'; print(torch.__version__, torch.cuda.get_device_name())"
  shape=(--device cuda --shape llama3_8b_layers --layers 4 --seq_len 2048 --steps 6 --warmup_steps 3)
else
  shape=(--device cpu --shape debug_layers --layers 2 --seq_len 128 --steps 2 --warmup_steps 1 --peak_flops 1e12
         --compile_backend aot_eager)
fi
run() {  # name, then bench_train.py flags
  local name="$1"; shift
  echo "== train: $name"
  timeout 240 "$PY" scripts/bench_train.py "${shape[@]}" "$@" --json_out "$RESULTS/train_$name.json" \
    > "$RESULTS/train_$name.log" 2>&1 || echo "   FAILED (see $RESULTS/train_$name.log)"
}
run eager --micro_batch_size 2 --grad_accum 8 --activation_checkpointing false
run compiled --micro_batch_size 2 --grad_accum 8 --activation_checkpointing false --compile true --loss_impl compiled
run checkpointed_accum4 --micro_batch_size 4 --grad_accum 4 --activation_checkpointing true
run document_masked --micro_batch_size 2 --grad_accum 8 --activation_checkpointing false --documents_per_sequence 8

echo "== generation: bf16 batched against one at a time"
timeout 150 "$PY" scripts/bench_generate.py --device "$DEVICE" --dtype bfloat16 --num_prompts 32 --batch_size 16 \
  --max_new_tokens 64 --repeats 1 > "$RESULTS/generate_bf16.log" 2>&1 || echo "   FAILED (see $RESULTS/generate_bf16.log)"

echo "== summary"
"$PY" - "$RESULTS" <<'EOF'
import json
import sys
from pathlib import Path

results = Path(sys.argv[1])
for path in sorted(results.glob("train_*.json")):
    r = json.loads(path.read_text())
    peak = r["peak_mem_gb"] or float("nan")  # CPU: not measured
    ratio = peak / r["planned_mem_gb"]
    print(f"{path.stem[6:]:<22} MFU {r['mfu'] or 0:5.1f}%  {r['tokens_per_s_per_device']:9,.0f} tokens/s  peak "
          f"{peak:6.2f} GB, planned {r['planned_mem_gb']:6.2f} GB ({ratio:.2f}x)"
          + ("" if 0.9 <= ratio <= 1.1 else "  <- outside 10%"))
log = results / "generate_bf16.log"
if log.exists():
    print(*[line for line in log.read_text().splitlines() if "identical" in line or "samples/s" in line], sep="\n")
EOF
