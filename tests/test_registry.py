# Copyright (c) mmmsf contributors. All rights reserved.
"""mmmsf's registrations live beside mmselfsup's without clashing."""
import subprocess
import sys


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
