#!/usr/bin/env bash
# Create (or reuse) the detection-transfer environment: torch + mmengine +
# mmcv 2.1.0 built from source with its ops + mmdet 3.3.0. The first build
# of mmcv takes 20-30 minutes on 2 cores; pip caches the wheel afterwards.
#   MMMSF_DET_VENV  where it lives (default: <repo>/.venv-det)
#   MAX_JOBS        parallel compile jobs for mmcv (default: 2)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
VENV=${MMMSF_DET_VENV:-$ROOT/.venv-det}
PY=${PYTHON:-python3}
REQ="$ROOT/requirements/detection.txt"
quiet() { { grep -v "is ignored: it is neither a file nor a directory" || true; }; }

if [ ! -x "$VENV/bin/python" ]; then
    echo "[setup-det] creating $VENV"
    "$PY" -m venv "$VENV"
fi
STAMP="$VENV/.mmmsf-det-requirements"
WANT=$(sha256sum "$REQ" | cut -c1-16)
if [ "$(cat "$STAMP" 2>/dev/null)" != "$WANT" ]; then
    pin() { grep -E "^$1==" "$REQ"; }
    PIP=("$VENV/bin/python" -m pip install -q --disable-pip-version-check)
    echo "[setup-det] installing torch and the mmcv build tools"
    "${PIP[@]}" "$(pin torch)" "$(pin mmengine)" wheel ninja psutil 2>&1 | quiet
    # mmcv 2.1.0's setup.py needs pkg_resources and builds in this env
    "${PIP[@]}" "setuptools<70" 2>&1 | quiet
    echo "[setup-det] building $(pin mmcv) with ops (first time: 20-30 min)"
    MMCV_WITH_OPS=1 MAX_JOBS=${MAX_JOBS:-2} "${PIP[@]}" \
        --no-build-isolation "$(pin mmcv)" 2>&1 | quiet
    "${PIP[@]}" "$(pin mmdet)" 2>&1 | quiet
    echo "$WANT" > "$STAMP"
fi
cd /
PYTHONPATH="$ROOT" "$VENV/bin/python" -W ignore - <<'PYEOF'
import torch, mmcv, mmdet, mmengine  # noqa: E401
from mmcv.ops import RoIAlign, nms  # compiled ops
import mmmsf_det  # noqa: F401
boxes = torch.tensor([[0., 0., 4., 4.], [0., 0., 4., 4.]])
assert nms(boxes, torch.tensor([1., .5]), .5)[1].tolist() == [0]
print(f'[setup-det] ok: torch {torch.__version__}, mmengine '
      f'{mmengine.__version__}, mmcv {mmcv.__version__} (ops), mmdet '
      f'{mmdet.__version__}')
PYEOF
