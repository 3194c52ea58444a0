#!/usr/bin/env bash
# Quick start 2/2: set up the pinned environment (first time only), lint
# like the host (flake8, isort, yapf) and run the test suite.
# Extra arguments go to pytest, e.g. `bash tools/run_tests.sh -k memory`.
# MMMSF_WITH_DET=1 also sets up the detection environment (first time:
# 20-30 min to build mmcv) and makes the detection transfer test mandatory.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
VENV=${MMMSF_VENV:-$ROOT/.venv}
bash "$ROOT/tools/setup_env.sh"
if [ "${MMMSF_WITH_DET:-0}" = "1" ]; then
    bash "$ROOT/tools/setup_det_env.sh"
fi
cd "$ROOT"
PY="$VENV/bin/python"
LINT_PATHS="mmmsf mmmsf_det tools tests configs setup.py"
echo "[lint] flake8, isort, yapf"
"$PY" -m flake8 $LINT_PATHS
"$PY" -m isort --check-only --diff $LINT_PATHS
"$PY" -m yapf --diff -r $LINT_PATHS
echo "[test] pytest"
exec "$PY" -m pytest "$@"
