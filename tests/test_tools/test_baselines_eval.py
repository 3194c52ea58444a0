# Copyright (c) mmmsf contributors. All rights reserved.
"""mmpretrain's BYOL and MoCo v2 checkpoints through mmmsf's evaluation
tools: each is pretrained for two iterations on the digits with the real
mmpretrain model and config (widths shrunk), then scored by knn_eval.sh
and linear_eval.sh, the commands of docs/reproduce.md."""
import json
import os
import os.path as osp
import uuid

import pytest
import torch
from conftest import run_launcher
from eval_helpers import (KNN_SCRIPT, LINEAR_CONFIG, LINEAR_SCRIPT,
                          MSF_LINEAR_CONFIG, REPO_ROOT, tiny_split)
from mmengine.config import Config
from mmengine.runner import Runner

from mmmsf.checkpoint import load_checkpoint_safely

DIGITS_DATA = osp.join(REPO_ROOT, 'configs', '_base_', 'datasets',
                       'digits_bs128_msf.py')
WIDTH = 128  # output channels of the demo's slim ResNet_CIFAR-18
# mmpretrain config, its model shrunk to the digits, a key only that
# algorithm's checkpoint holds, and the linear protocol it is scored by
BASELINES = {
    'byol': ('mmpretrain::byol/byol_resnet50_16xb256-coslr-200e_in1k.py',
             dict(neck=dict(in_channels=WIDTH,
                            hid_channels=256,
                            out_channels=64),
                  head=dict(predictor=dict(
                      in_channels=64, hid_channels=256, out_channels=64))),
             'target_net.', MSF_LINEAR_CONFIG),
    'mocov2': ('mmpretrain::mocov2/mocov2_resnet50_8xb32-coslr-200e_in1k.py',
               dict(queue_len=64,
                    feat_dim=32,
                    neck=dict(in_channels=WIDTH,
                              hid_channels=WIDTH,
                              out_channels=32)), 'queue', LINEAR_CONFIG),
}


def _pretraining_config(name, work_dir):
    """mmpretrain's config of ``name`` on the digits, written to a file
    (what knn_eval.sh takes as the pretraining config)."""
    base, model, _, _ = BASELINES[name]
    os.makedirs(work_dir, exist_ok=True)
    base_file = osp.join(work_dir, 'base.py')
    with open(base_file, 'w') as f:
        f.write(f'_base_ = {base!r}\n')
    cfg = Config.fromfile(base_file)
    digits = Config.fromfile(DIGITS_DATA)
    model.update(
        data_preprocessor=dict(mean=[33.3] * 3, std=[78.6] * 3, to_rgb=False),
        # the demo's slim ResNet (mmpretrain's other settings kept)
        backbone=dict(type='ResNet_CIFAR',
                      depth=18,
                      stem_channels=16,
                      base_channels=16))
    cfg.merge_from_dict(
        dict(model=model,
             work_dir=work_dir,
             train_cfg=dict(max_epochs=1),
             default_hooks=dict(checkpoint=dict(interval=1)),
             randomness=dict(seed=0),
             custom_imports=dict(imports=['mmmsf'],
                                 allow_failed_imports=False)))
    for key in ('train_dataloader', 'knn_reference_dataloader',
                'knn_query_dataloader'):
        cfg[key] = digits[key]
    # 32 8x8 digits, batches of 16: two iterations
    cfg.merge_from_dict({
        'train_dataloader.batch_size': 16,
        'train_dataloader.num_workers': 0,
        'train_dataloader.persistent_workers': False,
        'train_dataloader.dataset.source': 'sklearn',
        'train_dataloader.dataset.indices': 32,
    })
    path = osp.join(work_dir, f'{name}_digits.py')
    cfg.dump(path)
    return path


def _bash(script, args, cwd):
    return run_launcher(script, args, cwd, timeout=300)


@pytest.mark.parametrize('name', sorted(BASELINES))
def test_mmpretrain_checkpoint_through_knn_and_linear_eval(tmp_path, name):
    config = _pretraining_config(name, str(tmp_path / 'pretrain'))
    cfg = Config.fromfile(config)
    cfg.experiment_name = f'{name}_{uuid.uuid4().hex[:8]}'
    runner = Runner.from_cfg(cfg)
    assert type(runner.model).__name__ == {
        'byol': 'BYOL',
        'mocov2': 'MoCo'
    }[name]
    runner.train()
    ckpt = tmp_path / 'pretrain' / 'epoch_1.pth'
    state = load_checkpoint_safely(str(ckpt), map_location='cpu')['state_dict']
    assert any(k.startswith(BASELINES[name][2]) for k in state)
    backbone = {
        k[len('backbone.'):]: v
        for k, v in state.items() if k.startswith('backbone.')
    }

    log = _bash(KNN_SCRIPT, [config, ckpt, 1, '--cfg-options'] +
                tiny_split('knn_reference_dataloader', 120) +
                tiny_split('knn_query_dataloader', 40), tmp_path)
    assert f'Loaded {len(backbone)} tensors' in log
    work_dir = tmp_path / 'work_dirs' / 'knn' / f'{name}_digits' / 'epoch_1'
    result = json.loads((work_dir / 'knn_metrics.json').read_text())
    assert (result['num_train'], result['num_val']) == (120, 40)
    assert {'knn_1nn', 'knn_20nn'} <= set(result['metrics'])
    feats = torch.load(next(work_dir.glob('features_*.pth')),
                       weights_only=True)
    assert feats['train_feats'].shape == (120, WIDTH)

    linear_config = BASELINES[name][3]
    log = _bash(LINEAR_SCRIPT,
                [linear_config, ckpt, 1] + tiny_split('train_dataloader', 64) +
                tiny_split('val_dataloader', 32) +
                ['train_dataloader.batch_size=16', 'train_cfg.max_epochs=1'],
                tmp_path)
    assert f'Loaded {len(backbone)} tensors' in log
    assert 'accuracy/top1' in log


@pytest.mark.parametrize(
    'k1_name, msf_name, views',
    [
        # the paper's BYOL-asym row: its plain "MSF" row (s/s views), k = 1
        ('msf-ss_resnet50-k1_8xb32-coslr-200e_in1k.py',
         'msf-ss_resnet50_8xb32-coslr-200e_in1k.py', 's/s'),
        # the digits table's k = 1 row: the demo's recipe (w/s), k = 1
        ('msf_resnet18-w16-k1_1xb128-coslr-30e_digits.py',
         'msf_resnet18-w16_1xb128-coslr-30e_digits.py', 'w/s'),
    ])
def test_byol_asym_config_is_msf_with_k1(k1_name, msf_name, views):
    """A BYOL-asym config is its MSF config with k = 1 and nothing else
    changed."""
    msf_dir = osp.join(REPO_ROOT, 'configs', 'msf')
    byol_asym = Config.fromfile(osp.join(msf_dir, k1_name))
    msf = Config.fromfile(osp.join(msf_dir, msf_name))
    assert byol_asym.model.head.topk == 1 and msf.model.head.topk == 5
    view_modes = [
        t['view_mode'] for t in byol_asym.train_dataloader.dataset.pipeline
        if t['type'] == 'MeanShiftViews'
    ]
    assert view_modes == [views]
    byol_asym.model.head.topk = msf.model.head.topk
    assert byol_asym.to_dict() == msf.to_dict()
