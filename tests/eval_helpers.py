# Copyright (c) mmmsf contributors. All rights reserved.
"""Checkpoints and tiny datasets shared by the evaluation tests."""
import os.path as osp
import sys
from typing import Dict, List

import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmpretrain.registry import MODELS

sys.path.insert(0, osp.dirname(__file__))
from conftest import DEMO_CONFIG, REPO_ROOT  # noqa: E402

LINEAR_DIR = osp.join(REPO_ROOT, 'configs', 'benchmarks', 'classification')
LINEAR_CONFIG = osp.join(LINEAR_DIR,
                         'resnet18-w16_linear-1xb128-steplr-10e_digits.py')
MSF_LINEAR_CONFIG = osp.join(
    LINEAR_DIR, 'resnet18-w16_msf-linear-1xb128-steplr-10e_digits.py')
KNN_SCRIPT = osp.join(REPO_ROOT, 'tools', 'benchmarks', 'knn_eval.sh')
LINEAR_SCRIPT = osp.join(REPO_ROOT, 'tools', 'benchmarks', 'linear_eval.sh')
# a layer of the demo backbone renamed by the "broken" checkpoints
RENAMED = ('backbone.layer1.0.conv1.weight', 'backbone.layer1.0.conv_a.weight')


def save_msf_checkpoint(path: str, seed: int = 0) -> Dict[str, torch.Tensor]:
    """Save an untrained MSF demo model as an mmengine checkpoint.

    Returns:
        dict: Its state dict.
    """
    init_default_scope('mmpretrain')
    torch.manual_seed(seed)
    model = MODELS.build(Config.fromfile(DEMO_CONFIG).model)
    model.init_weights()
    state_dict = model.state_dict()
    torch.save(dict(meta=dict(epoch=0), state_dict=state_dict), path)
    return state_dict


def save_renamed_checkpoint(src: str, dst: str) -> None:
    """Copy a checkpoint with one backbone key renamed."""
    ckpt = torch.load(src, weights_only=True)
    old, new = RENAMED
    ckpt['state_dict'][new] = ckpt['state_dict'].pop(old)
    torch.save(ckpt, dst)


def tiny_split(prefix: str, num: int) -> List[str]:
    """``--cfg-options`` that shrink a dataloader to ``num`` 8x8 digits."""
    return [
        f'{prefix}.dataset.source=sklearn', f'{prefix}.dataset.indices={num}',
        f'{prefix}.num_workers=0'
    ]
