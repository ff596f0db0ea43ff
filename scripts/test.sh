#!/usr/bin/env bash
# Run the test suite (creates .venv on first use). Extra arguments go to pytest, e.g. `bash scripts/test.sh -k filter`.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
source scripts/setup_env.sh
echo "[test] ruff"
ruff check .
echo "[test] pytest"
python -m pytest -q "$@"
