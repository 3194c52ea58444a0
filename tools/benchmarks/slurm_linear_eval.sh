#!/usr/bin/env bash
# Usage: [GPUS=8] [GPUS_PER_NODE=8] bash tools/benchmarks/slurm_linear_eval.sh
#     PARTITION JOB_NAME CONFIG PRETRAIN [train.py args]
# The slurm twin of linear_eval.sh (same work dir, same "random" option,
# same default GPUS: the N of the config's `NxbM`; lr scaled for another
# total batch).
set -x
PARTITION=$1
JOB_NAME=$2
CONFIG=$3
PRETRAIN=$4
source "$(dirname "$0")/linear_eval_args.sh"
GPUS=${GPUS:-$(protocol_gpus "$CONFIG")}
GPUS_PER_NODE=${GPUS_PER_NODE:-$((GPUS < 8 ? GPUS : 8))}
CPUS_PER_TASK=${CPUS_PER_TASK:-5}
SRUN_ARGS=${SRUN_ARGS:-""}
source "$(dirname "$0")/../python_env.sh"
require_python
linear_eval_args "$CONFIG" "$PRETRAIN" "${@:5}"

PYTHONPATH="$(dirname "$0")/../..":$PYTHONPATH \
srun -p ${PARTITION} \
    --job-name=${JOB_NAME} \
    --gres=gpu:${GPUS_PER_NODE} \
    --ntasks=${GPUS} \
    --ntasks-per-node=${GPUS_PER_NODE} \
    --cpus-per-task=${CPUS_PER_TASK} \
    --kill-on-bad-exit=1 \
    ${SRUN_ARGS} \
    "$PYTHON" -u "$(dirname "$0")/../train.py" ${CONFIG} \
    --work-dir=${WORK_DIR} --launcher="slurm" \
    --cfg-options $INIT "${EXTRA[@]}"
