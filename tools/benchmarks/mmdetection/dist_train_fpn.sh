#!/usr/bin/env bash
# Mask R-CNN R50-FPN (COCO) from a full MSF checkpoint (or its backbone).
# Usage: bash tools/benchmarks/mmdetection/dist_train_fpn.sh CONFIG PRETRAIN GPUS [args]
exec bash "$(dirname "$0")/dist_train.sh" "$@"
