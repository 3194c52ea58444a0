#!/usr/bin/env bash
# Sourced by every launcher under tools/ (not run on its own):
#   source "$(dirname "$0")/python_env.sh"   (path relative to the launcher)
#   require_python [MODULE ...]              (default: torch)
# sets PYTHON (default: `python` on PATH, e.g. an activated environment) and
# stops with one clear line (exit code 2) when that Python cannot import the
# modules, naming the environment to use (.venv, or .venv-det for mmdet).
MMMSF_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

require_python() {
    local flags=$-
    { set +x; } 2>/dev/null  # no trace of the check under `set -x`
    PYTHON=${PYTHON:-python}
    local modules=("$@") module err venv=.venv setup=setup_env.sh
    [ ${#modules[@]} -gt 0 ] || modules=(torch)
    if [[ " ${modules[*]} " == *" mmdet "* ]]; then
        venv=.venv-det setup=setup_det_env.sh
    fi
    for module in "${modules[@]}"; do
        if ! err=$("$PYTHON" -c "import $module" 2>&1 </dev/null); then
            err=$(printf '%s\n' "$err" | tail -n 1)
            echo "$(basename "$0"): PYTHON=$PYTHON cannot import $module" \
                "(${err:-no message}); use the environment of" \
                "tools/$setup (\`source $MMMSF_ROOT/$venv/bin/activate\`" \
                "or PYTHON=$MMMSF_ROOT/$venv/bin/python) or one with" \
                "$module" >&2
            exit 2
        fi
    done
    if [[ $flags == *x* ]]; then set -x; fi
}
