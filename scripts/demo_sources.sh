#!/usr/bin/env bash
# Demo of the textbook, website and existing-corpus sources on the bundled samples (CPU, well under a minute).
#   bash scripts/demo_sources.sh        (venv active, run from the repo root)
set -euo pipefail
OUT=outputs/demo
mkdir -p "$OUT"

echo "-- sample PDFs (typeset, scanned, mixed, encrypted, truncated) -> $OUT/pdfs"
python scripts/make_sample_pdfs.py --output "$OUT/pdfs"

echo "-- textbooks: text layer or OCR per page -> $OUT/textbooks (the encrypted and truncated PDFs go to errors)"
# rapidocr: the sample scan mixes English and Chinese lines, which its PP-OCRv4 model reads both (auto: Tesseract eng)
python -m data_collection.ocr --config configs/data_collection/ocr.yaml --input "$OUT/pdfs" --lang en --backend rapidocr \
  --output "$OUT/textbooks" --on_mismatch redo || test $? -eq 1  # 1: the encrypted and truncated samples went to errors, as intended

echo "-- saved web pages (HTML + WARC) -> $OUT/web"
python -m data_collection.web --config configs/data_collection/web.yaml --input samples/web --output "$OUT/web" \
  --on_mismatch redo

echo "-- existing corpora -> $OUT/corpora/<kind>"
for lang in en fr zh; do
  python -m data_collection.corpora wikipedia --config configs/data_collection/corpora.yaml \
    --input "samples/corpora/wikipedia/$lang" --lang "$lang" --output "$OUT/corpora/wikipedia/$lang" --on_mismatch redo
done
python -m data_collection.corpora baike --config configs/data_collection/corpora.yaml \
  --input samples/corpora/baike --output "$OUT/corpora/baike" --on_mismatch redo
for lang in en fr es; do
  python -m data_collection.corpora ufal --config configs/data_collection/corpora.yaml \
    --input samples/corpora/ufal --lang "$lang" --output "$OUT/corpora/ufal/$lang" --on_mismatch redo
done

echo "sources demo: textbooks $OUT/textbooks (books/*.json, documents/, errors.jsonl), web $OUT/web/documents,"
echo "  corpora $OUT/corpora/{wikipedia/<lang>,baike,ufal/<lang>}/documents"
