#!/usr/bin/env bash
# Usage: bash tools/benchmarks/linear_eval.sh CONFIG PRETRAIN [GPUS] [args]
# Trains the linear classifier of CONFIG (configs/benchmarks/classification)
# on the frozen backbone of PRETRAIN (an MSF/BYOL/MoCo checkpoint; "random"
# for a randomly initialised backbone) through tools/train.py. Work dir:
# work_dirs/linear/<config>/<checkpoint>. Then KEY=VALUE overrides (added
# to --cfg-options) and train.py flags, e.g. `... 8 train_cfg.max_epochs=1`.
set -e
CONFIG=$1
PRETRAIN=$2
GPUS=${3:-1}
PORT=${PORT:-29500}
source "$(dirname "$0")/../python_env.sh"
require_python
source "$(dirname "$0")/linear_eval_args.sh"
linear_eval_args "$CONFIG" "$PRETRAIN" "${@:4}"
export PYTHONPATH="$(dirname "$0")/../..":$PYTHONPATH

if [ "$GPUS" -eq 1 ]; then
    $PYTHON "$(dirname "$0")/../train.py" $CONFIG --work-dir $WORK_DIR \
        --cfg-options $INIT "${EXTRA[@]}"
else
    $PYTHON -m torch.distributed.run \
        --nproc_per_node=$GPUS \
        --master_port=$PORT \
        "$(dirname "$0")/../train.py" $CONFIG --work-dir $WORK_DIR \
        --launcher pytorch --cfg-options $INIT "${EXTRA[@]}"
fi
