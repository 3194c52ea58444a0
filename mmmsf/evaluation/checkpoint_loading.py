# Copyright (c) mmmsf contributors. All rights reserved.
"""Strict, loud loading of pretrained backbones for every evaluation path.

An evaluation that silently loads nothing (a renamed key, a wrong prefix)
reports the accuracy of a random network as if it were the method's. Every
benchmark of mmmsf (``tools/benchmarks/knn_eval.py`` and, through
:class:`~mmmsf.engine.hooks.StrictPretrainedHook`, linear evaluation) loads
through :func:`load_backbone_checkpoint`, which refuses any mismatch.
"""
from collections import OrderedDict
from typing import Dict, Optional

import torch
from mmengine.logging import print_log
from torch import nn

from mmmsf.utils import load_checkpoint_safely
from mmmsf.utils.model_converters import state_dict_mismatches


def backbone_state_dict(checkpoint: str,
                        prefix: Optional[str] = 'backbone.',
                        mmap: bool = True) -> 'OrderedDict[str, torch.Tensor]':
    """The backbone weights inside a checkpoint file.

    Understands the checkpoints of MSF and of mmpretrain / mmselfsup
    self-supervised algorithms (BYOL, MoCo, ...) and classifiers (mmengine
    format: ``state_dict`` with ``backbone.*`` keys), and plain backbone
    state dicts. Loads with ``weights_only=True``
    (:func:`~mmmsf.utils.load_checkpoint_safely`).

    Args:
        checkpoint (str): Path of the checkpoint.
        prefix (str, optional): Prefix of the backbone's keys; the keys that
            carry it are kept and stripped of it. If no key carries it (or
            it is None) the checkpoint is taken as a plain backbone state
            dict. Use ``'target_net.module.0.'`` for MSF's momentum
            backbone. Defaults to ``'backbone.'``.
        mmap (bool): Map the file instead of reading it whole: the memory
            bank (2 GB in the paper config) and the optimizer state are
            never read. Defaults to True.

    Returns:
        OrderedDict[str, torch.Tensor]: The backbone's state dict.
    """
    ckpt = load_checkpoint_safely(checkpoint, map_location='cpu', mmap=mmap)
    state_dict = ckpt.get('state_dict', ckpt) if isinstance(ckpt,
                                                            dict) else None
    if not isinstance(state_dict, dict) or not all(
            torch.is_tensor(v) for v in state_dict.values()):
        raise ValueError(
            f'{checkpoint} is neither an mmengine checkpoint with a '
            f'"state_dict" nor a plain state dict of tensors.')
    # checkpoints saved from DDP without unwrapping
    if state_dict and all(k.startswith('module.') for k in state_dict):
        state_dict = {k[len('module.'):]: v for k, v in state_dict.items()}
    if prefix and any(k.startswith(prefix) for k in state_dict):
        return OrderedDict((k[len(prefix):], v) for k, v in state_dict.items()
                           if k.startswith(prefix))
    return OrderedDict(state_dict)


def load_backbone_checkpoint(module: nn.Module,
                             checkpoint: str,
                             prefix: Optional[str] = 'backbone.',
                             logger: str = 'current') -> int:
    """Load a backbone strictly and say what was loaded.

    Refuses (before changing any weight) when the checkpoint misses a key
    of ``module``, has a key ``module`` lacks, or has a tensor of another
    shape, naming the keys. On success it logs the checkpoint and how many
    tensors it loaded.

    Args:
        module (nn.Module): The backbone to fill.
        checkpoint (str): Path of the checkpoint.
        prefix (str, optional): See :func:`backbone_state_dict`.
            Defaults to ``'backbone.'``.
        logger (str): Logger of :func:`mmengine.logging.print_log`.
            Defaults to ``'current'``.

    Returns:
        int: Number of tensors loaded.

    Raises:
        RuntimeError: On missing, unexpected or mis-shaped keys.
    """
    state_dict = backbone_state_dict(checkpoint, prefix)
    expected: Dict[str, torch.Tensor] = module.state_dict()
    problems = state_dict_mismatches(expected, state_dict)
    if problems:
        raise RuntimeError(
            f'Refusing to load {checkpoint} (prefix {prefix!r}) into '
            f'{type(module).__name__}: ' + '; '.join(problems) +
            '. The checkpoint does not match the model config.')
    module.load_state_dict(state_dict, strict=True)
    print_log(
        f'Loaded {len(state_dict)} tensors into {type(module).__name__} '
        f'from {checkpoint} (prefix {prefix!r}).',
        logger=logger)
    return len(state_dict)
