#!/usr/bin/env bash
# Demo of the web filter and corpus assembly on the bundled samples (CPU, well under a minute).
#   bash scripts/demo_data.sh        (venv active, run from the repo root)
# 1. keyword-filter samples/culturax (en zh ja fr ru es) -> outputs/demo/filtered
# 2. assemble the corpus from the filtered documents plus any textbook/web/corpora shards that
#    scripts/demo_sources.sh wrote -> outputs/demo/corpus (stats.md is printed at the end)
set -euo pipefail
OUT=outputs/demo
mkdir -p "$OUT"
TOKENIZER="${TOKENIZER:-artifacts/tiny-llama}"
if [ ! -f "$TOKENIZER/tokenizer.json" ]; then
  echo "-- building the tiny tokenizer/model at $TOKENIZER (used to count tokens)"
  python -m common.tiny_model --output "$TOKENIZER"
fi

echo "-- filter: samples/culturax -> $OUT/filtered (rerunning skips finished shards)"
python -m data_collection.filter --config configs/data_collection/filter.yaml \
  --input samples/culturax --lang auto --output "$OUT/filtered" --keep_rejected_scores --progress false

inputs="$OUT/filtered/documents"
for src in textbooks web corpora; do
  # every documents/ folder the sources demo produced (textbooks/documents, corpora/wikipedia/en/documents, ...)
  while IFS= read -r dir; do inputs="$inputs,$dir"; done < <(find "$OUT/$src" -type d -name documents 2>/dev/null | sort)
done
echo "-- build_corpus: $inputs -> $OUT/corpus"
rm -rf "$OUT/corpus"   # the demo always rebuilds (real runs resume instead)
python -m data_collection.build_corpus --config configs/data_collection/build_corpus.yaml \
  --input "$inputs" --output "$OUT/corpus" --tokenizer "$TOKENIZER" --min_chars '{"default": 100, "zh": 40, "ja": 40}' \
  --progress false

echo "data demo: filtered shards $OUT/filtered/documents, corpus $OUT/corpus/<lang>/, stats $OUT/corpus/stats.{json,md,png}"
