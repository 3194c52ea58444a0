# Copyright (c) mmmsf contributors. All rights reserved.
"""Checkpoint conversions between mmmsf, torchvision and the official MSF.

Every conversion checks keys and shapes strictly against the model it is
meant for and raises one error naming what did not match: a transfer that
silently drops weights evaluates a random network.
"""
import argparse
import re
from collections import OrderedDict
from typing import Dict, List, Mapping, Optional

import torch

from .strict_loading import check_state_dict

# official MSF MLPs are Sequential(Linear, BatchNorm1d, ReLU, Linear)
_OFFICIAL_MLP = {'0': 'fc0', '1': 'bn0', '3': 'fc1'}


def build_backbone(cfg: dict) -> torch.nn.Module:
    """Build a backbone from its mmpretrain config dict."""
    import mmpretrain.models  # noqa: F401  (registers the backbones)
    from mmpretrain.registry import MODELS
    cfg = dict(cfg)
    cfg.pop('init_cfg', None)
    return MODELS.build(cfg)


def backbone_cfg_from_checkpoint(ckpt: dict) -> Optional[dict]:
    """The backbone config an mmengine checkpoint was trained with."""
    cfg_text = ckpt.get('meta', {}).get('cfg') if isinstance(ckpt,
                                                             dict) else None
    if not cfg_text:
        return None
    from mmengine.config import Config
    cfg = Config.fromstring(cfg_text, '.py')
    return cfg.model.backbone.to_dict() if 'model' in cfg else None


def torchvision_resnet_state_dict(backbone: Mapping[str, torch.Tensor],
                                  arch: str) -> 'OrderedDict':
    """An mmpretrain ``ResNet`` state dict as torchvision's ``arch``.

    mmpretrain's pytorch-style ResNet uses torchvision's parameter names,
    so the mapping is the identity; what this adds is the strict check
    against ``torchvision.models.<arch>`` (all but ``fc``) and the dtype.

    Args:
        backbone (Mapping[str, torch.Tensor]): Backbone state dict (no
            prefix).
        arch (str): torchvision architecture, e.g. ``'resnet50'``.

    Returns:
        OrderedDict: Loadable with ``strict=True`` into
        ``torchvision.models.<arch>()`` after deleting ``fc``.
    """
    import torchvision
    model = getattr(torchvision.models, arch)()
    expected = {
        k: v
        for k, v in model.state_dict().items() if not k.startswith('fc.')
    }
    check_state_dict(expected, backbone,
                     f'backbone -> torchvision {arch} (without fc)')
    return OrderedDict(
        (k, backbone[k].to(expected[k].dtype)) for k in expected)


def _strip_module(key: str) -> str:
    """Drop the ``module.`` segments that DataParallel/DDP add."""
    return re.sub(r'(^|\.)module\.', r'\1', key)


def official_msf_to_mmmsf(
        state_dict: Mapping[str, torch.Tensor]) -> Dict[str, torch.Tensor]:
    """Rename an official MSF state dict to the keys of :class:`MSF`.

    The official model (github.com/UMBCvision/MSF) holds ``encoder_q`` and
    ``encoder_t`` (torchvision ResNets whose ``fc`` is the projection MLP),
    ``predict_q`` (the prediction MLP) and the ``queue`` / ``labels`` /
    ``queue_ptr`` buffers, each possibly behind DataParallel's
    ``module.``.

    Args:
        state_dict (Mapping[str, torch.Tensor]): The official
            ``state_dict``.

    Returns:
        dict[str, torch.Tensor]: The same tensors under mmmsf's keys. Keys
        the layout does not know are kept under their stripped names, so
        the strict check that follows names them.
    """
    out = {}
    for key, value in state_dict.items():
        key = _strip_module(key)
        head, _, rest = key.partition('.')
        if head in ('encoder_q', 'encoder_t'):
            online = head == 'encoder_q'
            if rest.startswith('fc.'):
                idx, _, param = rest[3:].partition('.')
                new = f'{_OFFICIAL_MLP.get(idx, idx)}.{param}'
                new = ('neck.' if online else 'target_net.module.1.') + new
            else:
                new = ('backbone.'
                       if online else 'target_net.module.0.') + rest
        elif head == 'predict_q':
            idx, _, param = rest.partition('.')
            new = f'head.predictor.{_OFFICIAL_MLP.get(idx, idx)}.{param}'
        elif key == 'queue':
            new = 'memory.feats'
        elif key == 'labels':
            new = 'memory.labels'
        elif key == 'queue_ptr':
            new, value = 'memory.ptr', value.reshape(())
        else:
            new = key
        out[new] = value
    if 'memory.labels' in out:
        # the official code only enqueues labelled ImageNet samples
        out['memory.num_seen'] = (out['memory.labels'] >= 0).sum()
    # the target already holds averaged weights: do not re-copy at step 1
    out['target_net.steps'] = torch.tensor(1, dtype=torch.long)
    return out


# the official --augmentation choices as MeanShiftViews view modes
_OFFICIAL_VIEWS = {
    'weak/strong': 'w/s',
    'weak/weak': 'w/w',
    'strong/weak': 's/w',
    'strong/strong': 's/s'
}


def _view_mode(cfg: Mapping) -> Optional[str]:
    """The ``view_mode`` of the config's ``MeanShiftViews``, if any."""
    dataset = cfg.get('train_dataloader', {}).get('dataset', {})
    for transform in dataset.get('pipeline', []):
        if transform.get('type') == 'MeanShiftViews':
            return transform.get('view_mode')
    return None


def official_options_mismatches(opt: argparse.Namespace,
                                cfg: Mapping) -> List[str]:
    """Where the options of an official run differ from an MSF config.

    The official ``train_msf.py`` saves its argparse options as ``opt`` in
    every checkpoint. The options it records are compared with the config
    they are imported into: ``arch`` with the backbone depth, ``topk`` with
    ``head.topk``, ``mem_bank_size`` with ``memory.size``, ``momentum``
    (the paper's m) with ``1 - model.momentum`` and ``augmentation``
    (target/online) with the view mode of ``MeanShiftViews``. Options the
    checkpoint does not record are not compared.

    Args:
        opt (argparse.Namespace): The official checkpoint's ``opt``.
        cfg (Mapping): The mmmsf config (with ``model`` and, optionally,
            ``train_dataloader``).

    Returns:
        list[str]: One entry per differing option; empty when they agree.
    """
    model = cfg['model']
    ours = {
        'arch': f"resnet{model['backbone'].get('depth')}",
        'topk': model['head'].get('topk'),
        'mem_bank_size': model['memory'].get('size'),
        'momentum': round(1 - model.get('momentum', 0.01), 6),
        'augmentation': _view_mode(cfg),
    }
    problems = []
    for key, value in ours.items():
        if not hasattr(opt, key):
            continue
        theirs = getattr(opt, key)
        if key == 'augmentation':
            theirs = _OFFICIAL_VIEWS.get(theirs, theirs)
        elif key == 'momentum':
            theirs = round(float(theirs), 6)
        if theirs != value:
            problems.append(f'{key}: {theirs!r} in the checkpoint, '
                            f'{value!r} in the config')
    return problems


def load_official_checkpoint(path: str) -> dict:
    """Load an official MSF checkpoint with ``weights_only=True``.

    The official checkpoints also pickle the argparse options (``opt``);
    ``argparse.Namespace`` is allowed for this load only.
    """
    with torch.serialization.safe_globals([argparse.Namespace]):
        ckpt = torch.load(path, map_location='cpu', weights_only=True)
    if not isinstance(ckpt, dict) or 'state_dict' not in ckpt:
        raise KeyError(f'{path} has no "state_dict": not an official MSF '
                       f'checkpoint.')
    return ckpt
