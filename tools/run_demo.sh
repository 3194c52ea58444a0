#!/usr/bin/env bash
# Quick start 1/2: set up the pinned environment (first time only), then
# pretrain MSF on the embedded digits and print k-NN before vs after.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
VENV=${MMMSF_VENV:-$ROOT/.venv}
bash "$ROOT/tools/setup_env.sh"
cd "$ROOT"
exec "$VENV/bin/python" -W ignore tools/demo.py "$@"
