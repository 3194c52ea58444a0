#!/usr/bin/env bash
# Slurm twin of dist_train.sh (PRETRAIN: a full MSF checkpoint or an
# extracted backbone).
# Usage: [GPUS=8] bash slurm_train.sh PARTITION JOB_NAME CONFIG PRETRAIN [args]
set -euo pipefail
PARTITION=$1
JOB_NAME=$2
CFG=$3
PRETRAIN=$4
GPUS=${GPUS:-8}
GPUS_PER_NODE=${GPUS_PER_NODE:-8}
CPUS_PER_TASK=${CPUS_PER_TASK:-5}
source "$(dirname "$0")/../../python_env.sh"
require_python torch mmdet
PY=$PYTHON
ROOT=$(cd "$(dirname "$0")/../../.." && pwd)
[ -f "$PRETRAIN" ] || { echo "$(basename "$0"): pretrained checkpoint not found: $PRETRAIN" >&2; exit 2; }
MMDET_TRAIN=$("$PY" -c "import mmdet, os; print(os.path.join(os.path.dirname(mmdet.__file__), '.mim', 'tools', 'train.py'))")
WORK_DIR=work_dirs/benchmarks/mmdetection/$(basename "${CFG%.*}")/$(basename "${PRETRAIN%.*}")
PYTHONPATH="$ROOT":${PYTHONPATH:-} \
srun -p "$PARTITION" --job-name="$JOB_NAME" --gres=gpu:"$GPUS_PER_NODE" \
    --ntasks="$GPUS" --ntasks-per-node="$GPUS_PER_NODE" \
    --cpus-per-task="$CPUS_PER_TASK" --kill-on-bad-exit=1 ${SRUN_ARGS:-} \
    "$PY" -u "$MMDET_TRAIN" "$CFG" --launcher slurm --work-dir "$WORK_DIR" \
    --cfg-options model.backbone.init_cfg.checkpoint="$PRETRAIN" \
    ${EXTRA_CFG_OPTIONS:-} "${@:5}"
