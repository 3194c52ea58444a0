# Copyright (c) mmmsf contributors. All rights reserved.
"""Every launcher under tools/ runs the Python of ``PYTHON`` and stops with
one clear line when it cannot import torch (tools/python_env.sh)."""
import glob
import os
import os.path as osp
import subprocess
import sys

import pytest
from conftest import REPO_ROOT

# sourced helpers and the quick-start scripts (which make their own .venv)
NOT_LAUNCHERS = {
    'python_env.sh', 'linear_eval_args.sh', 'setup_env.sh', 'setup_det_env.sh',
    'run_tests.sh', 'run_demo.sh'
}
LAUNCHERS = sorted(
    osp.relpath(path, REPO_ROOT)
    for path in glob.glob(osp.join(REPO_ROOT, 'tools', '**', '*.sh'),
                          recursive=True)
    if osp.basename(path) not in NOT_LAUNCHERS)


@pytest.fixture(scope='module')
def python_without_torch(tmp_path_factory) -> str:
    """This interpreter without its site-packages: no torch."""
    path = tmp_path_factory.mktemp('bin') / 'python'
    path.write_text(f'#!/bin/sh\nexec {sys.executable} -I -S "$@"\n')
    path.chmod(0o755)
    return str(path)


def run_launcher(launcher: str, python: str, tmp_path) -> tuple:
    env = dict(os.environ, PYTHON=python)
    proc = subprocess.run(['bash', launcher] + ['arg'] * 6,
                          cwd=tmp_path,
                          env=env,
                          capture_output=True,
                          text=True,
                          timeout=120)
    return proc.returncode, proc.stdout, proc.stderr


def test_all_launchers_found():
    assert len(LAUNCHERS) >= 14, LAUNCHERS
    for name in ('tools/dist_train.sh', 'tools/slurm_test.sh',
                 'tools/benchmarks/linear_eval.sh',
                 'tools/benchmarks/mmdetection/dist_test.sh'):
        assert name in LAUNCHERS


@pytest.mark.parametrize('launcher', LAUNCHERS)
def test_launcher_stops_with_one_line_without_torch(launcher,
                                                    python_without_torch,
                                                    tmp_path):
    rc, out, err = run_launcher(osp.join(REPO_ROOT, launcher),
                                python_without_torch, tmp_path)
    assert rc == 2, (out, err)
    lines = [line for line in err.splitlines() if line.strip()]
    # slurm launchers trace commands (set -x): drop the trace lines
    lines = [line for line in lines if not line.startswith('+')]
    assert len(lines) == 1, err
    assert not out.strip(), out
    line = lines[0]
    assert f'PYTHON={python_without_torch} cannot import torch' in line
    assert "No module named 'torch'" in line
    venv = '.venv-det' if 'mmdetection' in launcher else '.venv'
    assert f'PYTHON={REPO_ROOT}/{venv}/bin/python' in line


def test_helper_accepts_a_python_with_torch(tmp_path):
    script = (f'source {REPO_ROOT}/tools/python_env.sh; require_python; '
              f'echo "$PYTHON"')
    proc = subprocess.run(['bash', '-c', script],
                          env=dict(os.environ, PYTHON=sys.executable),
                          capture_output=True,
                          text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == sys.executable
