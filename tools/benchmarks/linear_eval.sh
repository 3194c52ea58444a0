#!/usr/bin/env bash
# Usage: bash tools/benchmarks/linear_eval.sh CONFIG PRETRAIN [GPUS] [args]
# Trains the linear classifier of CONFIG (configs/benchmarks/classification)
# on the frozen backbone of PRETRAIN (an MSF/BYOL/MoCo checkpoint; "random"
# for a randomly initialised backbone) through tools/train.py. Then KEY=VALUE
# overrides (added to --cfg-options) and train.py flags, e.g.
# `... 8 train_cfg.max_epochs=1`.
# GPUS: the argument, else $GPUS, else the protocol's, N of the config's
# `NxbM` (8 for `8xb32`, as mmselfsup's benchmark scripts). The configs set
# `auto_scale_lr` to the protocol's total batch: any other total batch
# (GPUS x batch size) scales the lr linearly, and the log says so.
# Work dir: work_dirs/linear/<config>/<checkpoint dir>-<checkpoint>-<hash of
# its absolute path> ("random" for a random backbone).
set -e
CONFIG=$1
PRETRAIN=$2
source "$(dirname "$0")/linear_eval_args.sh"
shift 2
if [[ $1 =~ ^[0-9]+$ ]]; then  # GPUS given as an argument
    GPUS=$1
    shift
fi
GPUS=${GPUS:-$(protocol_gpus "$CONFIG")}
PORT=${PORT:-29500}
source "$(dirname "$0")/../python_env.sh"
require_python
linear_eval_args "$CONFIG" "$PRETRAIN" "$@"
echo "$(basename "$0"): $GPUS process(es)" \
    "(protocol: $(protocol_gpus "$CONFIG"))" >&2
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
