#!/usr/bin/env bash
# Usage: bash tools/benchmarks/knn_eval.sh CONFIG CHECKPOINT [GPUS] [args]
# CONFIG is the pretraining config; CHECKPOINT "random" evaluates a randomly
# initialised backbone. Metrics: work_dirs/knn/<config>/<checkpoint>/.
# Other args go to knn_eval.py (--faiss, --data-config, --cfg-options ...).
set -e
CONFIG=$1
CHECKPOINT=$2
GPUS=${3:-1}
PORT=${PORT:-29500}
source "$(dirname "$0")/../python_env.sh"
require_python
if [ "$CHECKPOINT" = "random" ]; then
    CHECKPOINT="--random-init"
fi
export PYTHONPATH="$(dirname "$0")/../..":$PYTHONPATH

if [ "$GPUS" -eq 1 ]; then
    $PYTHON "$(dirname "$0")/knn_eval.py" $CONFIG $CHECKPOINT ${@:4}
else
    $PYTHON -m torch.distributed.run \
        --nproc_per_node=$GPUS \
        --master_port=$PORT \
        "$(dirname "$0")/knn_eval.py" $CONFIG $CHECKPOINT \
        --launcher pytorch ${@:4}
fi
