#!/usr/bin/env bash
# Usage: bash tools/benchmarks/mmdetection/slurm_train_c4.sh PARTITION JOB_NAME CONFIG PRETRAIN [args]
EXTRA_CFG_OPTIONS="model.roi_head.shared_head.init_cfg.checkpoint=$4" \
    exec bash "$(dirname "$0")/slurm_train.sh" "$@"
