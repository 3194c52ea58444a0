# Copyright (c) mmmsf contributors. All rights reserved.
"""Strict, loud loading of a pretrained backbone out of a checkpoint.

An evaluation or a transfer that silently loads nothing (a renamed key, a
wrong prefix) reports the accuracy of a random network as if it were the
method's. Every consumer of pretrained weights in mmmsf loads through
:func:`load_backbone_checkpoint`, which refuses any mismatch: the k-NN and
linear benchmarks (``tools/benchmarks/knn_eval.py``,
:class:`~mmmsf.engine.hooks.StrictPretrainedHook`) and the detectors of
``mmmsf_det`` (its ``StrictPretrained`` init).
"""
import re
from collections import OrderedDict
from typing import Dict, Optional, Sequence

import torch
from mmengine.logging import print_log
from torch import nn

from .safe_loading import load_checkpoint_safely
from .strict_loading import state_dict_mismatches


def backbone_state_dict(
        checkpoint: str,
        prefix: Optional[str] = 'backbone.',
        mmap: bool = True,
        map_location: str = 'cpu') -> 'OrderedDict[str, torch.Tensor]':
    """The backbone weights inside a checkpoint file.

    Understands the checkpoints of MSF and of mmpretrain / mmselfsup
    self-supervised algorithms (BYOL, MoCo, ...) and classifiers (mmengine
    format: ``state_dict`` with ``backbone.*`` keys), and plain backbone
    state dicts (e.g. written by
    ``tools/model_converters/extract_backbone_weights.py``). Loads with
    ``weights_only=True`` (:func:`~mmmsf.checkpoint.load_checkpoint_safely`).

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
        map_location (str): As in :func:`torch.load`. Defaults to 'cpu'.

    Returns:
        OrderedDict[str, torch.Tensor]: The backbone's state dict.
    """
    ckpt = load_checkpoint_safely(checkpoint,
                                  map_location=map_location,
                                  mmap=mmap)
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
                             ignore_missing: Sequence[str] = (),
                             ignore_unexpected: Sequence[str] = (),
                             map_location: str = 'cpu',
                             action: str = 'load',
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
        ignore_missing (Sequence[str]): Regular expressions of module keys
            that are new by design (e.g. ``'^norm\\.'``, the extra norm of a
            C4 detection head) and keep their initialisation. A pattern
            excuses a key only where the checkpoint lacks it. Defaults to
            ().
        ignore_unexpected (Sequence[str]): Regular expressions of checkpoint
            keys the module does not hold (e.g. ``'^layer4\\.'`` for a C4
            backbone whose res5 lives in the RoI head). Defaults to ().
        map_location (str): As in :func:`torch.load`. Defaults to 'cpu'.
        action (str): ``'load'`` (an evaluation loads a checkpoint) or
            ``'initialise'`` (an ``init_cfg`` initialises a module): how the
            refusal is worded. Defaults to ``'load'``.
        logger (str): Logger of :func:`mmengine.logging.print_log`.
            Defaults to ``'current'``.

    Returns:
        int: Number of tensors loaded.

    Raises:
        RuntimeError: On missing, unexpected or mis-shaped keys.
    """
    state_dict = backbone_state_dict(checkpoint,
                                     prefix,
                                     map_location=map_location)
    own: Dict[str, torch.Tensor] = module.state_dict()
    missing_ok = [re.compile(p) for p in ignore_missing]
    unexpected_ok = [re.compile(p) for p in ignore_unexpected]

    def excused(key: str, patterns: list) -> bool:
        return any(p.search(key) for p in patterns)

    problems = state_dict_mismatches(
        {
            k: v
            for k, v in own.items()
            if k in state_dict or not excused(k, missing_ok)
        }, {
            k: v
            for k, v in state_dict.items()
            if k in own or not excused(k, unexpected_ok)
        })
    name = type(module).__name__
    if problems:
        what = (f'initialise {name} from {checkpoint} (prefix {prefix!r})'
                if action == 'initialise' else
                f'load {checkpoint} (prefix {prefix!r}) into {name}')
        raise RuntimeError(f'Refusing to {what}: ' + '; '.join(problems) +
                           '. The checkpoint does not match the model '
                           'config.')
    loaded = OrderedDict((k, v) for k, v in state_dict.items() if k in own)
    # every key of the module is in `loaded` unless a pattern excused it
    module.load_state_dict(loaded, strict=len(loaded) == len(own))
    kept = len(own) - len(loaded)
    print_log(
        f'Loaded {len(loaded)} tensors into {name} from {checkpoint} '
        f'(prefix {prefix!r})' +
        (f'; kept the initialisation of {kept} new tensors.' if kept else '.'),
        logger=logger)
    return len(loaded)
