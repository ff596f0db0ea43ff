#!/usr/bin/env bash
# The rationale study on the demo's predictions (docs/judge.md): the fine-tuned tiny model against the untuned
# one. Rating sheets, a stand-in filling of them (random scores: real studies have people fill them), their
# scores, then the LLM judge over HTTP against `transformers serve` running the tiny model (the `serve` extra), and
# the agreement when the judge wrote any parseable reply (the tiny model rarely does: it shows the mechanics, not a
# judge). Assumes the venv is active, the cwd is the repo root and demo_inference.sh has run.
#   outputs/demo/judge/sheets/     for_raters/ (rater_*.csv, INSTRUCTIONS.md), mapping.csv
#   outputs/demo/judge/human/      human_scores.csv, inter_rater.csv, results.md
#   outputs/demo/judge/llm/        judgements.jsonl, unparsed.jsonl, usage.json, position_bias.json, results.md
#   outputs/demo/judge/agreement/  agreement.md, agreement.csv, agreement.png (when the judge parsed)
set -euo pipefail
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-1}"
MODEL="${TINY_MODEL:-artifacts/tiny-llama}"
TUNED="${TUNED_PREDICTIONS:-outputs/demo/predictions}"
OUT="${JUDGE_DEMO_OUT:-outputs/demo/judge}"
rm -rf "$OUT"

# a second model to compare with: the untuned tiny model's rationales
python -m inference.generate --config configs/inference/tiny.yaml --model "$MODEL" --modes rationale \
  --max_new_tokens 48 --output "$OUT/predictions_base" --progress false
STUDY=(--config configs/inference/judge.yaml --predictions "tuned=$TUNED" "base=$OUT/predictions_base"
       --per_language 3 --bootstrap_samples 200)

python -m inference.judge sheets "${STUDY[@]}" --output "$OUT/sheets"
# stand-in raters: random scores, so that every step runs; people fill these sheets in a real study
python - "$OUT/sheets/for_raters" <<'PY'
import csv, random, sys
from pathlib import Path
rng = random.Random(0)
for path in sorted(Path(sys.argv[1]).glob("rater_*.csv")):
    with open(path, encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    for row in rows:
        for crit in ("accuracy", "reasoning", "knowledge"):
            row[crit] = rng.randint(1, 5)
    with open(path, "w", encoding="utf-8-sig", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
PY
python -m inference.judge score --sheets "$OUT/sheets/for_raters/rater_*.csv" --bootstrap_samples 200 --output "$OUT/human"

# the judge over HTTP: `transformers serve` on the tiny model, bound to 127.0.0.1 on a free port, offline (a local
# dir); clients name the model by the path it was given. Greedy, short replies: the judge asks temperature 0 and
# max_tokens 64 per request. The server's request log goes to a temporary file, shown if it does not start.
if ! python -c 'import sys; from transformers import AutoTokenizer
sys.exit(not AutoTokenizer.from_pretrained(sys.argv[1]).chat_template)' "$MODEL"; then
  echo "[demo_judge] $MODEL: its tokenizer has no chat template (rebuild: python -m common.tiny_model --output $MODEL)" >&2
  exit 2
fi
PORT="$(python -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
SERVE_LOG="$(mktemp)"
transformers serve "$MODEL" --host 127.0.0.1 --port "$PORT" --device cpu > "$SERVE_LOG" 2>&1 &
SERVER_PID=$!
trap 'kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; rm -f "$SERVE_LOG"' EXIT
if ! python - "$PORT" "$SERVER_PID" <<'PY'
import os, sys, time, urllib.request
for _ in range(240):
    try:
        os.kill(int(sys.argv[2]), 0)  # raises once the server has exited
        urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/health", timeout=1)
        sys.exit(0)
    except ProcessLookupError:
        sys.exit(1)
    except OSError:
        time.sleep(0.5)
sys.exit(1)
PY
then
  echo "[demo_judge] transformers serve did not start (within 120 s); its log:" >&2
  cat "$SERVE_LOG" >&2
  exit 1
fi
python -m inference.judge run "${STUDY[@]}" --judge.base_url "http://127.0.0.1:$PORT/v1" \
  --judge.model "$MODEL" --judge.max_tokens 64 --output "$OUT/llm"
kill "$SERVER_PID" && wait "$SERVER_PID" || true  # its CPU back for the agreement step

if [ -s "$OUT/llm/judge_items.csv" ] && [ "$(wc -l < "$OUT/llm/judge_items.csv")" -gt 1 ]; then
  python -m inference.judge agreement --human_scores "$OUT/human" --judge_scores "$OUT/llm" \
    --bootstrap_samples 200 --output "$OUT/agreement"
else
  echo "[demo_judge] the tiny judge wrote no parseable reply (see $OUT/llm/unparsed.jsonl): no agreement to show"
fi
echo "[demo_judge] sheets: $OUT/sheets; human scores: $OUT/human/results.md; judge: $OUT/llm/results.md"
