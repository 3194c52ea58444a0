#!/usr/bin/env bash
# Usage: [GPUS=8] [GPUS_PER_NODE=8] bash tools/benchmarks/slurm_linear_eval.sh
#     PARTITION JOB_NAME CONFIG PRETRAIN [train.py args]
# The slurm twin of linear_eval.sh (same work dir, same "random" option).
set -x
PARTITION=$1
JOB_NAME=$2
CONFIG=$3
PRETRAIN=$4
GPUS=${GPUS:-8}
GPUS_PER_NODE=${GPUS_PER_NODE:-8}
CPUS_PER_TASK=${CPUS_PER_TASK:-5}
SRUN_ARGS=${SRUN_ARGS:-""}
WORK_DIR=work_dirs/linear/$(basename "${CONFIG%.*}")/$(basename "${PRETRAIN%.*}")
if [ "$PRETRAIN" = "random" ]; then
    INIT="model.backbone.init_cfg._delete_=True \
        model.backbone.init_cfg.type=Kaiming \
        model.backbone.init_cfg.layer=Conv2d"
else
    INIT="model.backbone.init_cfg.type=Pretrained \
        model.backbone.init_cfg.checkpoint=$PRETRAIN \
        model.backbone.init_cfg.prefix=backbone."
fi

# extra KEY=VALUE overrides join the --cfg-options that set the checkpoint
EXTRA=("${@:5}")
if [ "${EXTRA[0]}" = "--cfg-options" ]; then
    EXTRA=("${EXTRA[@]:1}")
fi
for ARG in "${EXTRA[@]}"; do
    if [ "$ARG" = "--cfg-options" ]; then
        echo "$(basename "$0"): give KEY=VALUE overrides first, then flags" >&2
        exit 2
    fi
done

PYTHONPATH="$(dirname "$0")/../..":$PYTHONPATH \
srun -p ${PARTITION} \
    --job-name=${JOB_NAME} \
    --gres=gpu:${GPUS_PER_NODE} \
    --ntasks=${GPUS} \
    --ntasks-per-node=${GPUS_PER_NODE} \
    --cpus-per-task=${CPUS_PER_TASK} \
    --kill-on-bad-exit=1 \
    ${SRUN_ARGS} \
    python -u "$(dirname "$0")/../train.py" ${CONFIG} \
    --work-dir=${WORK_DIR} --launcher="slurm" \
    --cfg-options $INIT "${EXTRA[@]}"
