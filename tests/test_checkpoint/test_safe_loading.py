# Copyright (c) mmmsf contributors. All rights reserved.
"""Every checkpoint load stays ``weights_only=True``: a crafted checkpoint
is refused through ``--resume PATH`` and ``load_from`` before it runs."""
import os
import os.path as osp
import re
import runpy
import sys
import uuid

import pytest
import torch

from mmmsf.checkpoint import UnsafeCheckpointError, load_checkpoint_safely

sys.path.insert(
    0, osp.join(osp.dirname(osp.dirname(__file__)), 'test_reliability'))
from reliability_utils import write_config  # noqa: E402
from reliability_utils import REPO_ROOT, TEST_HELPERS, TRAIN  # noqa: E402


class _Evil:
    """Pickles as ``os.system(<touch marker>)``."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f'touch {self.marker}', ))


def _crafted(tmp_path):
    marker = tmp_path / 'pwned'
    path = tmp_path / 'crafted.pth'
    torch.save(
        {
            'meta': {
                'epoch': 1,
                'iter': 4
            },
            'state_dict': {
                'w': torch.ones(1)
            },
            'evil': _Evil(marker)
        }, path)
    return path, marker


def _train(monkeypatch, cfg, work_dir, *args):
    monkeypatch.syspath_prepend(TEST_HELPERS)
    monkeypatch.chdir(REPO_ROOT)
    monkeypatch.setattr(sys, 'argv', [
        TRAIN, cfg, '--work-dir',
        str(work_dir), '--cfg-options',
        f'experiment_name=test_{uuid.uuid4().hex[:8]}', *args
    ])
    runpy.run_path(TRAIN, run_name='__main__')


@pytest.mark.parametrize('how', ['resume', 'load_from'])
def test_crafted_checkpoint_is_refused_by_train_tool(monkeypatch, tmp_path,
                                                     how):
    path, marker = _crafted(tmp_path)
    cfg = write_config(tmp_path / 'cfg.py')
    # even where the environment asks torch to load unsafely
    monkeypatch.setenv('TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD', '1')
    args = ['--resume', str(path)] if how == 'resume' else []
    if how == 'load_from':
        cfg = write_config(tmp_path / 'cfg.py',
                           extra=f'load_from={str(path)!r}')
    with pytest.raises(UnsafeCheckpointError) as err:
        _train(monkeypatch, cfg, tmp_path / 'work', *args)
    message = str(err.value)
    assert 'posix.system' in message and str(path) in message
    assert 'allow-list' in message
    assert not marker.exists()  # the callable never ran
    assert not (tmp_path / 'work' / 'iter_3.pth').exists()


def test_refusal_names_the_getattr_stand_in(tmp_path):
    from mmengine.logging import HistoryBuffer

    class _Sneaky:

        def __reduce__(self):
            return (getattr, (HistoryBuffer, '__init__'))

    path = tmp_path / 'sneaky.pth'
    torch.save({'x': _Sneaky()}, path)
    with pytest.raises(UnsafeCheckpointError, match=re.escape(str(path))):
        load_checkpoint_safely(str(path))


def test_every_torch_load_in_the_repo_is_weights_only():
    calls = []
    for folder in ('mmmsf', 'tools'):
        for root, _, files in os.walk(osp.join(REPO_ROOT, folder)):
            for name in files:
                if not name.endswith('.py'):
                    continue
                text = open(osp.join(root, name)).read()
                for match in re.finditer(r'torch\.load\(([^)]*)\)', text):
                    calls.append((name, match.group(1)))
    assert calls
    for name, args in calls:
        if args.strip():  # skip mentions in docstrings such as torch.load()
            assert 'weights_only=True' in args, (name, args)


def test_mmengine_local_loader_is_the_safe_one():
    from mmengine.runner.checkpoint import CheckpointLoader
    loader = CheckpointLoader._get_checkpoint_loader('/some/file.pth')
    assert loader.__module__ == 'mmmsf.checkpoint.safe_loading'
