# Copyright (c) mmmsf contributors. All rights reserved.
import os
import os.path as osp
import socket
import subprocess
import sys

import pytest
import torch

import mmmsf  # noqa: F401  (registers modules and the checkpoint allow-list)

REPO_ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
DEMO_CONFIG = osp.join(REPO_ROOT, 'configs', 'msf_digits_cpu_demo.py')
# the CO2 twin of the demo (MoCo v2 + consistency on the same bank)
CO2_DEMO_CONFIG = osp.join(REPO_ROOT, 'configs', 'co2',
                           'co2_resnet18-w16_1xb128-coslr-30e_digits.py')

if REPO_ROOT not in sys.path:
    sys.path.insert(0, REPO_ROOT)


def free_port() -> int:
    """A free TCP port on localhost for a gloo rendezvous."""
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def run_launcher(script: str, args: list, cwd, timeout: int = 600) -> str:
    """Run a ``tools/*.sh`` launcher with this interpreter (``PYTHON``) on
    a free port; assert it succeeded and return its stdout + stderr."""
    env = dict(os.environ, PYTHON=sys.executable, PORT=str(free_port()))
    proc = subprocess.run(['bash', script] + [str(a) for a in args],
                          cwd=cwd,
                          env=env,
                          capture_output=True,
                          text=True,
                          timeout=timeout)
    log = proc.stdout + proc.stderr
    assert proc.returncode == 0, log[-3000:]
    return log


def tiny_cfg_options(work_dir: str,
                     num_samples: int = 64,
                     batch: int = 16,
                     max_epochs: int = 1) -> dict:
    """Overrides that shrink the CPU demo to a few seconds."""
    return {
        'work_dir': work_dir,
        'train_dataloader.batch_size': batch,
        'train_dataloader.num_workers': 0,
        'train_dataloader.persistent_workers': False,
        'train_dataloader.dataset.indices': num_samples,
        'train_cfg.max_epochs': max_epochs,
        'param_scheduler': [dict(type='ConstantLR', factor=1.0)],
        'model.memory.size': 128,
        # no k-NN monitor; the bank hook of the base's default_hooks every
        # iteration, without a warm start
        'custom_hooks': [],
        'default_hooks.memory_bank': dict(interval=1, warm_start=False),
        'default_hooks.logger.interval': 1,
        'default_hooks.checkpoint.interval': 1,
        'log_processor.window_size': 1,
        'randomness': dict(seed=0, deterministic=True),
    }


@pytest.fixture(autouse=True)
def _single_thread_determinism():
    torch.manual_seed(0)
    yield
