#!/usr/bin/env bash
# Create (or reuse) the project's virtual environment with the pinned,
# proven dependency set, install mmmsf in it and prove the stack imports.
# setup.py's requirements are ranges; the exact versions installed here come
# from requirements/constraints.txt (quickstart.txt adds mmcv-lite and every
# extra: mmselfsup, faiss, the demo's digits, the test tools).
#   MMMSF_VENV  where the environment lives (default: <repo>/.venv)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
VENV=${MMMSF_VENV:-$ROOT/.venv}
PY=${PYTHON:-python3}

if [ ! -x "$VENV/bin/python" ]; then
    echo "[setup] creating $VENV"
    "$PY" -m venv "$VENV"
fi
STAMP="$VENV/.mmmsf-requirements"
WANT=$(cat "$ROOT"/requirements/*.txt "$ROOT/setup.py" | sha256sum | cut -c1-16)
if [ "$(cat "$STAMP" 2>/dev/null)" != "$WANT" ]; then
    echo "[setup] installing the pinned stack (first time: a few minutes)"
    "$VENV/bin/python" -m pip install -q --disable-pip-version-check \
        -r "$ROOT/requirements/runtime.txt" \
        -r "$ROOT/requirements/mminstall.txt" \
        -r "$ROOT/requirements/quickstart.txt" \
        -c "$ROOT/requirements/constraints.txt" 2>&1 \
        | { grep -v "is ignored: it is neither a file nor a directory" || true; }
    "$VENV/bin/python" -m pip install -q --disable-pip-version-check \
        --no-deps -r "$ROOT/requirements/tests_nodeps.txt" \
        -c "$ROOT/requirements/constraints.txt" 2>&1 \
        | { grep -v "is ignored: it is neither a file nor a directory" || true; }
    "$VENV/bin/python" -m pip install -q --disable-pip-version-check \
        --no-deps --no-build-isolation -e "$ROOT" 2>&1 \
        | { grep -v "is ignored: it is neither a file nor a directory" || true; }
    echo "$WANT" > "$STAMP"
fi

# Fashion-MNIST (the second real dataset, StratifiedFashionMNIST) ships in
# Debian's dataset-fashion-mnist package: install it where apt is available
# and we are root; elsewhere say how, and go on (only its configs need it)
FMNIST=/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz
apt_quiet() { DEBIAN_FRONTEND=noninteractive apt-get -y -q "$@" >/dev/null 2>&1; }
if [ ! -f "$FMNIST" ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 &&
        { apt_quiet install dataset-fashion-mnist ||
            { apt_quiet update && apt_quiet install dataset-fashion-mnist; }; }
    then
        echo "[setup] installed Fashion-MNIST (dataset-fashion-mnist)"
    else
        echo "[setup] Fashion-MNIST not installed (optional): as root," \
            "apt-get install -y dataset-fashion-mnist"
    fi
fi

# prove the stack works together (torchvision's compiled ops included),
# importing mmmsf from the installed package, not the current directory
cd /
"$VENV/bin/python" -W ignore - <<'PYEOF'
import torch, torchvision, torchvision.ops  # noqa: E401
import mmcv, mmengine, mmpretrain, mmselfsup  # noqa: E401
import mmmsf
boxes = torch.tensor([[0., 0., 1., 1.], [0., 0., 1., 1.]])
assert torchvision.ops.nms(boxes, torch.tensor([1., .5]), .5).tolist() == [0]
print(f'[setup] ok: torch {torch.__version__}, torchvision '
      f'{torchvision.__version__}, mmengine {mmengine.__version__}, mmcv '
      f'{mmcv.__version__}, mmpretrain {mmpretrain.__version__}, mmselfsup '
      f'{mmselfsup.__version__}, mmmsf {mmmsf.__version__}')
PYEOF
