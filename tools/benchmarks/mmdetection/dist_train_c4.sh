#!/usr/bin/env bash
# Faster R-CNN R50-C4 (VOC07+12): res5 lives in the RoI head, so the
# checkpoint's backbone initialises it as well.
# Usage: bash tools/benchmarks/mmdetection/dist_train_c4.sh CONFIG PRETRAIN GPUS [args]
EXTRA_CFG_OPTIONS="model.roi_head.shared_head.init_cfg.checkpoint=$2" \
    exec bash "$(dirname "$0")/dist_train.sh" "$@"
