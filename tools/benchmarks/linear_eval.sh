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
PYTHON=${PYTHON:-python}
WORK_DIR=work_dirs/linear/$(basename "${CONFIG%.*}")/$(basename "${PRETRAIN%.*}")
if [ "$PRETRAIN" = "random" ]; then
    # the backbone's own default init (Kaiming), as before pretraining
    INIT="model.backbone.init_cfg._delete_=True \
        model.backbone.init_cfg.type=Kaiming \
        model.backbone.init_cfg.layer=Conv2d"
else
    INIT="model.backbone.init_cfg.type=Pretrained \
        model.backbone.init_cfg.checkpoint=$PRETRAIN \
        model.backbone.init_cfg.prefix=backbone."
fi
# extra KEY=VALUE overrides join the --cfg-options that set the checkpoint
EXTRA=("${@:4}")
if [ "${EXTRA[0]}" = "--cfg-options" ]; then
    EXTRA=("${EXTRA[@]:1}")
fi
for ARG in "${EXTRA[@]}"; do
    if [ "$ARG" = "--cfg-options" ]; then
        echo "$(basename "$0"): give KEY=VALUE overrides first, then flags" >&2
        exit 2
    fi
done
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
