#!/usr/bin/env bash
# Usage: [GPUS=8] [GPUS_PER_NODE=8] bash tools/slurm_test.sh PARTITION \
#     JOB_NAME CONFIG CHECKPOINT [test.py args]
# The slurm twin of dist_test.sh (mmpretrain's tools/slurm_test.sh).
set -x

PARTITION=$1
JOB_NAME=$2
CONFIG=$3
CHECKPOINT=$4
GPUS=${GPUS:-8}
GPUS_PER_NODE=${GPUS_PER_NODE:-8}
CPUS_PER_TASK=${CPUS_PER_TASK:-5}
SRUN_ARGS=${SRUN_ARGS:-""}
PY_ARGS=${@:5}
source "$(dirname "$0")/python_env.sh"
require_python

PYTHONPATH="$(dirname "$0")/..":$PYTHONPATH \
srun -p ${PARTITION} \
    --job-name=${JOB_NAME} \
    --gres=gpu:${GPUS_PER_NODE} \
    --ntasks=${GPUS} \
    --ntasks-per-node=${GPUS_PER_NODE} \
    --cpus-per-task=${CPUS_PER_TASK} \
    --kill-on-bad-exit=1 \
    ${SRUN_ARGS} \
    "$PYTHON" -u "$(dirname "$0")/test.py" ${CONFIG} ${CHECKPOINT} \
    --launcher="slurm" ${PY_ARGS}
