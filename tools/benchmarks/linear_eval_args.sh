#!/usr/bin/env bash
# Sourced by linear_eval.sh and slurm_linear_eval.sh:
#   linear_eval_args CONFIG PRETRAIN [KEY=VALUE ...] [train.py flags]
# sets WORK_DIR, INIT (the --cfg-options that initialise the backbone from
# PRETRAIN, or from its default init for "random") and the array EXTRA (the
# remaining arguments, KEY=VALUE overrides first).
#   protocol_gpus CONFIG
# prints the number of GPUs of the protocol, N of the config's `NxbM`
# (8 for `..._8xb32-...`, 1 when the name has none).
linear_eval_args() {
    local config=$1 pretrain=$2
    shift 2
    # work_dirs/linear/<config>/<checkpoint dir>-<checkpoint>-<hash>: the
    # hash of the checkpoint's absolute path keeps two `epoch_200.pth` apart
    local name=random
    if [ "$pretrain" != "random" ]; then
        local abs=$pretrain hash
        if [ -e "$pretrain" ]; then
            abs=$(cd "$(dirname "$pretrain")" && pwd)/$(basename "$pretrain")
        fi
        hash=$(printf '%s' "$abs" | cksum | cut -d' ' -f1)
        name=$(basename "$(dirname "$abs")")-$(basename "${pretrain%.*}")-$hash
    fi
    WORK_DIR=work_dirs/linear/$(basename "${config%.*}")/$name
    echo "$(basename "$0"): work dir $WORK_DIR" >&2
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

protocol_gpus() {
    local name
    name=$(basename "$1")
    if [[ $name =~ [_-]([0-9]+)xb[0-9]+ ]]; then
        echo "${BASH_REMATCH[1]}"
    else
        echo 1
    fi
}
