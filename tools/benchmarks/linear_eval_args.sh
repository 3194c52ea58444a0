#!/usr/bin/env bash
# Sourced by linear_eval.sh and slurm_linear_eval.sh:
#   linear_eval_args CONFIG PRETRAIN [KEY=VALUE ...] [train.py flags]
# sets WORK_DIR, INIT (the --cfg-options that initialise the backbone from
# PRETRAIN, or from its default init for "random") and the array EXTRA (the
# remaining arguments, KEY=VALUE overrides first).
linear_eval_args() {
    local config=$1 pretrain=$2
    shift 2
    WORK_DIR=work_dirs/linear/$(basename "${config%.*}")/$(basename "${pretrain%.*}")
    if [ "$pretrain" = "random" ]; then
        # the backbone's own default init (Kaiming), as before pretraining
        INIT="model.backbone.init_cfg._delete_=True \
            model.backbone.init_cfg.type=Kaiming \
            model.backbone.init_cfg.layer=Conv2d"
    else
        INIT="model.backbone.init_cfg.type=Pretrained \
            model.backbone.init_cfg.checkpoint=$pretrain \
            model.backbone.init_cfg.prefix=backbone."
    fi
    # extra KEY=VALUE overrides join the --cfg-options that set the checkpoint
    EXTRA=("$@")
    if [ "${EXTRA[0]}" = "--cfg-options" ]; then
        EXTRA=("${EXTRA[@]:1}")
    fi
    local arg
    for arg in "${EXTRA[@]}"; do
        if [ "$arg" = "--cfg-options" ]; then
            echo "$(basename "$0"): give KEY=VALUE overrides first, then flags" >&2
            exit 2
        fi
    done
}
