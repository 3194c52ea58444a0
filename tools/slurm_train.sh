#!/usr/bin/env bash
# Usage: [GPUS=8] [GPUS_PER_NODE=8] bash tools/slurm_train.sh PARTITION \
#     JOB_NAME CONFIG WORK_DIR [train.py args]
#
# Passes `--resume auto`: a run restarted in the same WORK_DIR continues from
# its last checkpoint (a new WORK_DIR starts from scratch). On SIGTERM
# (pre-emption, time limit) PreemptionCheckpointHook saves iter_N.pth and,
# inside a batch job (sbatch), runs `scontrol requeue $SLURM_JOB_ID`; the
# requeued job runs this script again and continues. Outside a batch job the
# processes exit with status 75: restart the same command. See
# docs/reliability.md.
set -x

PARTITION=$1
JOB_NAME=$2
CONFIG=$3
WORK_DIR=$4
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
    "$PYTHON" -u "$(dirname "$0")/train.py" ${CONFIG} \
    --work-dir=${WORK_DIR} --launcher="slurm" --resume auto ${PY_ARGS}
