# Copyright (c) mmmsf contributors. All rights reserved.
"""Atomic checkpoint writes come with the project's runner, not the import.

Each check runs in a fresh process: installing the backend is process-wide.
"""
import subprocess
import sys

from conftest import REPO_ROOT

IMPORT_ONLY = '''
from mmengine.fileio import LocalBackend, get_file_backend
from mmengine.fileio.backends import registry_utils
path = '/some/work_dir/epoch_1.pth'
before = get_file_backend(path, enable_singleton=True)
import mmmsf  # noqa: F401
after = get_file_backend(path, enable_singleton=True)
assert type(after) is LocalBackend and after is before, type(after)
assert registry_utils.backends['local'] is LocalBackend
assert registry_utils.prefix_to_backends[''] is LocalBackend
print('ok')
'''

RUNNER = '''
import os
import os.path as osp
import sys

import torch
from mmengine.fileio import LocalBackend, get_file_backend
from mmengine.model import BaseModel
from torch import nn

import mmmsf  # noqa: F401
from mmmsf.checkpoint import AtomicLocalBackend
from mmmsf.engine.runner import CheckpointSafeRunner


class ToyModel(BaseModel):

    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(2, 1)

    def forward(self, inputs, data_samples=None, mode='tensor'):
        out = self.linear(inputs)
        if mode == 'loss':
            return dict(loss=(out - data_samples).pow(2).mean())
        return out


work = sys.argv[1]
assert type(get_file_backend(work)) is LocalBackend
dataset = [
    dict(inputs=torch.randn(2), data_samples=torch.randn(1))
    for _ in range(4)
]
runner = CheckpointSafeRunner(
    model=ToyModel(),
    work_dir=work,
    train_dataloader=dict(dataset=dataset,
                          sampler=dict(type='DefaultSampler', shuffle=False),
                          batch_size=2,
                          collate_fn=dict(type='default_collate')),
    train_cfg=dict(by_epoch=True, max_epochs=1),
    optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.01)),
    default_hooks=dict(checkpoint=dict(type='CheckpointHook', interval=1)))
runner.train()
assert type(get_file_backend(work)) is AtomicLocalBackend
hook = [h for h in runner.hooks if type(h).__name__ == 'CheckpointHook'][0]
assert type(hook.file_backend) is AtomicLocalBackend
assert osp.isfile(osp.join(work, 'epoch_1.pth'))
assert not [f for f in os.listdir(work) if f.endswith('.tmp')]
print('ok')
'''


def _run(code: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, '-W', 'ignore', '-c', code, *args],
                          cwd=REPO_ROOT,
                          capture_output=True,
                          text=True,
                          timeout=300)


def test_import_mmmsf_leaves_mmengine_local_backend_alone():
    proc = _run(IMPORT_ONLY)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.strip().endswith('ok')


def test_checkpoint_safe_runner_installs_the_atomic_backend(tmp_path):
    proc = _run(RUNNER, str(tmp_path / 'work'))
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.strip().endswith('ok')
