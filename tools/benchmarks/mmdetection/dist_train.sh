#!/usr/bin/env bash
# Shared by dist_train_fpn.sh / dist_train_c4.sh: fine-tune an mmdet config
# with mmdet's own tools/train.py from PRETRAIN, a full MSF checkpoint (its
# `backbone.` part is loaded, strictly and with mmmsf's allow-list, by the
# StrictPretrained init of mmmsf_det) or an extracted backbone.
# Usage: bash dist_train.sh CONFIG PRETRAIN GPUS [mmdet train.py args]
# Run it in the detection environment (tools/setup_det_env.sh, .venv-det).
set -euo pipefail
CFG=$1
PRETRAIN=$2
GPUS=$3
source "$(dirname "$0")/../../python_env.sh"
require_python torch mmdet
PY=$PYTHON
PORT=${PORT:-29500}
ROOT=$(cd "$(dirname "$0")/../../.." && pwd)
[ -f "$PRETRAIN" ] || { echo "$(basename "$0"): pretrained checkpoint not found: $PRETRAIN" >&2; exit 2; }
MMDET_TRAIN=$("$PY" -c "import mmdet, os; print(os.path.join(os.path.dirname(mmdet.__file__), '.mim', 'tools', 'train.py'))")
WORK_DIR=work_dirs/benchmarks/mmdetection/$(basename "${CFG%.*}")/$(basename "${PRETRAIN%.*}")
PYTHONPATH="$ROOT":${PYTHONPATH:-} \
"$PY" -m torch.distributed.run --nproc_per_node="$GPUS" \
    --nnodes="${NNODES:-1}" --node_rank="${NODE_RANK:-0}" \
    --master_addr="${MASTER_ADDR:-127.0.0.1}" --master_port="$PORT" \
    "$MMDET_TRAIN" "$CFG" --launcher pytorch --work-dir "$WORK_DIR" \
    --cfg-options model.backbone.init_cfg.checkpoint="$PRETRAIN" \
    ${EXTRA_CFG_OPTIONS:-} "${@:4}"
