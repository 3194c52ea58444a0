# Copyright (c) mmmsf contributors. All rights reserved.
import pickle
import subprocess
import sys

import pytest
import torch

import mmmsf


def test_mmmsf_and_mmselfsup_registries_coexist():
    """Importing both keeps each registry intact (run in a clean process)."""
    code = '''
import mmselfsup.models  # noqa: F401
import mmmsf  # noqa: F401
from mmpretrain.registry import HOOKS as PRE_HOOKS, MODELS as PRE_MODELS
from mmselfsup.registry import MODELS as SSL_MODELS
for name in ('MSF', 'MeanShiftHead', 'MemoryBank', 'CO2', 'CO2Head'):
    assert name in PRE_MODELS.module_dict, name
    assert name not in SSL_MODELS.module_dict, name
assert 'MemoryBankHook' in PRE_HOOKS.module_dict
# mmselfsup still builds its own algorithms
byol = SSL_MODELS.build(dict(
    type='BYOL',
    backbone=dict(type='ResNet', depth=18, norm_cfg=dict(type='BN')),
    neck=dict(type='NonLinearNeck', in_channels=512, hid_channels=8,
              out_channels=4, norm_cfg=dict(type='BN1d')),
    head=dict(type='LatentPredictHead',
              predictor=dict(type='NonLinearNeck', in_channels=4,
                             hid_channels=8, out_channels=4,
                             with_avg_pool=False,
                             norm_cfg=dict(type='BN1d')),
              loss=dict(type='CosineSimilarityLoss'))))
assert type(byol).__module__.startswith('mmselfsup')
print('ok')
'''
    out = subprocess.run([sys.executable, '-c', code],
                         capture_output=True,
                         text=True,
                         timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    assert out.stdout.strip().endswith('ok')


class _Evil:
    """Pickles as a call to a callable that must never run."""

    def __reduce__(self):
        return (_record_call, ('pwned', ))


CALLS = []


def _record_call(arg):
    CALLS.append(arg)
    return arg


def test_crafted_checkpoint_is_refused_and_callable_never_runs(tmp_path):
    path = tmp_path / 'evil.pth'
    torch.save({'state_dict': {'w': torch.ones(1)}, 'meta': _Evil()}, path)
    with pytest.raises(pickle.UnpicklingError, match='_record_call'):
        torch.load(path)  # weights_only=True is the default
    assert CALLS == []


def test_getattr_stand_in_only_resolves_history_buffer_methods(tmp_path):
    from mmengine.logging import HistoryBuffer
    buf = HistoryBuffer()
    buf.update(1.0)
    ok = tmp_path / 'ok.pth'
    torch.save({'hub': buf, 'fn': HistoryBuffer.mean}, ok)
    loaded = torch.load(ok)
    assert loaded['hub'].mean() == 1.0

    class _Sneaky:

        def __reduce__(self):
            return (getattr, (HistoryBuffer, '__init__'))

    bad = tmp_path / 'bad.pth'
    torch.save({'x': _Sneaky()}, bad)
    with pytest.raises(pickle.UnpicklingError, match='__init__'):
        torch.load(bad)


def test_allow_list_is_registered_on_import():
    names = {
        getattr(g, '__name__', str(g))
        for g in mmmsf.utils.CHECKPOINT_SAFE_GLOBALS
        if not isinstance(g, tuple)
    }
    assert 'HistoryBuffer' in names
