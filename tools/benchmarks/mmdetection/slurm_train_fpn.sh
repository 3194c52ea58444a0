#!/usr/bin/env bash
# Usage: bash tools/benchmarks/mmdetection/slurm_train_fpn.sh PARTITION JOB_NAME CONFIG PRETRAIN [args]
exec bash "$(dirname "$0")/slurm_train.sh" "$@"
