#!/usr/bin/env bash
# Test a fine-tuned detector (a checkpoint written by dist_train_*.sh) with
# mmdet's own tools/test.py, in the detection environment.
# Usage: bash dist_test.sh CONFIG CHECKPOINT GPUS [mmdet test.py args]
# Multi-node: set NNODES, NODE_RANK, MASTER_ADDR (and PORT) on every node.
set -euo pipefail
CFG=$1
CHECKPOINT=$2
GPUS=$3
PORT=${PORT:-29500}
source "$(dirname "$0")/../../python_env.sh"
require_python torch mmdet
ROOT=$MMMSF_ROOT
[ -f "$CHECKPOINT" ] || { echo "$(basename "$0"): detector checkpoint not found: $CHECKPOINT" >&2; exit 2; }
MMDET_TEST=$("$PYTHON" -c "import mmdet, os; print(os.path.join(os.path.dirname(mmdet.__file__), '.mim', 'tools', 'test.py'))")
WORK_DIR=work_dirs/benchmarks/mmdetection/$(basename "${CFG%.*}")/test_$(basename "${CHECKPOINT%.*}")
PYTHONPATH="$ROOT":${PYTHONPATH:-} \
"$PYTHON" -m torch.distributed.run --nproc_per_node="$GPUS" \
    --nnodes="${NNODES:-1}" --node_rank="${NODE_RANK:-0}" \
    --master_addr="${MASTER_ADDR:-127.0.0.1}" --master_port="$PORT" \
    "$MMDET_TEST" "$CFG" "$CHECKPOINT" --launcher pytorch \
    --work-dir "$WORK_DIR" "${@:4}"
