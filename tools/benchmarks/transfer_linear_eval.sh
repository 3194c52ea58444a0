#!/usr/bin/env bash
# Usage: bash tools/benchmarks/transfer_linear_eval.sh CHECKPOINT [args]
# Linear transfer (the MSF paper's table 3) on every dataset of
# configs/benchmarks/transfer whose data root exists under data/, then a
# markdown + JSON summary beside the paper's numbers in
# work_dirs/transfer/<checkpoint>/transfer_summary.{md,json}.
# Other args go to transfer_linear_eval.py (--n-jobs, --prefix, --work-dir,
# --cfg-options ...).
set -e
CHECKPOINT=$1
source "$(dirname "$0")/../python_env.sh"
require_python
ROOT="$(dirname "$0")/../.."
export PYTHONPATH="$ROOT":$PYTHONPATH
$PYTHON "$ROOT/tools/benchmarks/transfer_linear_eval.py" \
    "$ROOT/configs/benchmarks/transfer" "$CHECKPOINT" "${@:2}"
