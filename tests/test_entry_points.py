# Copyright (c) mmmsf contributors. All rights reserved.
"""tools/train.py resolves a config exactly as mmpretrain's own
tools/train.py does (dataloader defaults included)."""
import os.path as osp
import runpy
import sys

import mmpretrain
import pytest
from conftest import DEMO_CONFIG, REPO_ROOT
from mmengine.config import Config

TRAIN = osp.join(REPO_ROOT, 'tools', 'train.py')
MMPRETRAIN_TRAIN = osp.join(osp.dirname(mmpretrain.__file__), '.mim', 'tools',
                            'train.py')
LINEAR_DIGITS = osp.join(REPO_ROOT, 'configs', 'benchmarks', 'classification',
                         'resnet18-w16_linear-1xb128-steplr-10e_digits.py')
LOADERS = ('train_dataloader', 'val_dataloader', 'test_dataloader')


def mmpretrain_resolve(argv, monkeypatch) -> dict:
    """The config mmpretrain's tools/train.py builds for ``argv``."""
    tool = runpy.run_path(MMPRETRAIN_TRAIN, run_name='mmpretrain_train')
    monkeypatch.setattr(sys, 'argv', ['train.py', *argv])
    args = tool['parse_args']()
    return tool['merge_args'](Config.fromfile(argv[0]), args).to_dict()


@pytest.mark.parametrize('argv', [
    [LINEAR_DIGITS],
    [LINEAR_DIGITS, '--no-pin-memory', '--no-persistent-workers'],
    [
        DEMO_CONFIG, '--resume', '--auto-scale-lr', '--no-validate',
        '--work-dir', 'work_dirs/x', '--cfg-options',
        'train_dataloader.num_workers=0',
        'train_dataloader.persistent_workers=False', 'model.memory.size=64'
    ],
])
def test_train_resolves_configs_as_mmpretrain(argv, monkeypatch):
    train = runpy.run_path(TRAIN, run_name='mmmsf_train')
    ours = train['build_config'](train['parse_args'](argv)).to_dict()
    assert ours == mmpretrain_resolve(argv, monkeypatch)
    no_pin = '--no-pin-memory' in argv
    for name in LOADERS:
        loader = ours.get(name)
        if loader is None:
            continue
        assert loader['pin_memory'] is not no_pin
        assert loader['collate_fn'] == dict(type='default_collate')
        assert 'persistent_workers' in loader
    if argv[0] == LINEAR_DIGITS and not no_pin:
        # the config's own False (no workers) beats the default True
        assert ours['val_dataloader']['persistent_workers'] is False
        assert ours['train_dataloader']['persistent_workers'] is False
    if '--no-persistent-workers' in argv:
        assert not any(ours[name]['persistent_workers'] for name in LOADERS)
