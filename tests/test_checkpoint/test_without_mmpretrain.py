# Copyright (c) mmmsf contributors. All rights reserved.
"""``mmmsf.checkpoint``, ``mmmsf.utils`` and ``mmmsf_det`` in an environment
without mmpretrain (the detection environment of tools/setup_det_env.sh).

mmpretrain is hidden; mmdet, absent from the pretraining environment, is
stood in for by the three names ``mmmsf_det`` takes from it. The
``StrictPretrained`` init then loads a checkpoint through
:func:`mmmsf.checkpoint.load_backbone_checkpoint`.
"""
import subprocess
import sys

from conftest import REPO_ROOT

CODE = '''
import sys
import types
import warnings

import torch
from mmengine.fileio import LocalBackend, get_file_backend
from mmengine.registry import Registry
from torch import nn

sys.modules['mmpretrain'] = None  # as if not installed
for name in ('mmdet', 'mmdet.models', 'mmdet.models.backbones',
             'mmdet.models.roi_heads', 'mmdet.models.roi_heads.shared_heads',
             'mmdet.registry'):
    sys.modules[name] = types.ModuleType(name)
sys.modules['mmdet.models.backbones'].ResNet = nn.Module
sys.modules['mmdet.models.roi_heads.shared_heads'].ResLayer = nn.Module
sys.modules['mmdet.registry'].MODELS = Registry('model')

with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter('always')
    import mmmsf
    import mmmsf.checkpoint
    import mmmsf.checkpoint.model_converters
    import mmmsf.utils
assert any('mmpretrain is not installed' in str(w.message) for w in caught)
assert type(get_file_backend('x.pth')) is LocalBackend
assert mmmsf.checkpoint.CHECKPOINT_SAFE_GLOBALS

import mmmsf_det
from mmmsf.checkpoint import AtomicLocalBackend
from mmmsf_det import StrictPretrainedInit
assert type(get_file_backend('x.pth')) is AtomicLocalBackend
assert 'mmmsf.models' not in sys.modules
assert 'torchvision' not in sys.modules

src = nn.Sequential(nn.Linear(2, 3), nn.Linear(3, 1))
path = sys.argv[1]
torch.save(dict(state_dict={
    f'backbone.{k}': v for k, v in src.state_dict().items()}), path)
dst = nn.Sequential(nn.Linear(2, 3), nn.Linear(3, 1), nn.BatchNorm1d(1))
StrictPretrainedInit(path, ignore_missing=[r'^2\\.'])(dst)
assert torch.equal(dst[0].weight, src[0].weight)
try:
    StrictPretrainedInit(path)(dst)
except RuntimeError as err:
    print(err)
'''


def test_checkpoint_and_det_plugins_import_without_mmpretrain(tmp_path):
    proc = subprocess.run(
        [sys.executable, '-c', CODE,
         str(tmp_path / 'ckpt.pth')],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    refusal = proc.stdout.strip().splitlines()[-1]
    assert refusal.startswith('Refusing to initialise Sequential from')
    assert "missing keys: '2.weight'" in refusal
