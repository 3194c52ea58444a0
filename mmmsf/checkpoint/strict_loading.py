# Copyright (c) mmmsf contributors. All rights reserved.
"""Strict checkpoint loading for training: resume and ``load_from``.

mmengine's ``Runner`` loads non-strictly: a tensor whose shape changed (a
larger memory bank, a wider projector) is reported at info level and left
at its fresh value, so a resumed run can train against a random bank that
claims to be full. :func:`prepare_state_dict` refuses any difference before
anything is loaded, unless the user opts in to a bank migration or to a
deliberate partial load.
"""
import glob
import logging
import os.path as osp
from collections import OrderedDict
from typing import Dict, Iterator, List, Optional, Tuple

import torch
from mmengine.logging import print_log
from torch import nn

from mmmsf.utils.model_converters import state_dict_mismatches
from mmmsf.utils.safe_loading import load_checkpoint_safely

# which config setting shapes the tensors under a state-dict prefix
_SETTINGS = (
    ('memory.', 'model.memory (size, dim, dtype)'),
    ('target_net.module.0.', 'model.backbone (type, depth, widths)'),
    ('target_net.module.1.', 'model.neck (projector in/hid/out_channels, '
     'num_layers)'),
    ('backbone.', 'model.backbone (type, depth, widths)'),
    ('neck.', 'model.neck (projector in/hid/out_channels, num_layers)'),
    ('head.', 'model.head (predictor in/hid/out_channels, num_layers)'),
)


class CheckpointMismatchError(RuntimeError):
    """A checkpoint does not fit the model it is loaded into."""


def _banks(model: nn.Module) -> Iterator[Tuple[str, nn.Module]]:
    """``(prefix, module)`` of every memory bank in ``model``."""
    for name, module in model.named_modules():
        if hasattr(module, 'check_state') and hasattr(module,
                                                      'migrate_state_dict'):
            yield (name + '.' if name else ''), module


def expected_state(model: nn.Module) -> Dict[str, torch.Tensor]:
    """Shape-only stand-ins (meta tensors) for ``model.state_dict()``.

    Built from parameters and persistent buffers without calling
    ``state_dict()``, which for a :class:`ShardedMemoryBank` is a
    collective that gathers the whole bank; memory banks contribute their
    global (full-queue) shapes, as checkpoints hold them.

    Args:
        model (nn.Module): The model to load into.

    Returns:
        dict[str, torch.Tensor]: Key to an empty tensor of the right shape.
    """
    shapes = {}
    for name, module in model.named_modules():
        prefix = name + '.' if name else ''
        for key, param in module._parameters.items():
            if param is not None:
                shapes[prefix + key] = param.shape
        for key, buf in module._buffers.items():
            if buf is not None and \
                    key not in module._non_persistent_buffers_set:
                shapes[prefix + key] = buf.shape
    for prefix, bank in _banks(model):
        shapes[prefix + 'feats'] = (bank.size, bank.dim)
        shapes[prefix + 'labels'] = (bank.size, )
    return {k: torch.empty(v, device='meta') for k, v in shapes.items()}


def _setting(key: str) -> str:
    """The config setting behind a state-dict key."""
    for prefix, setting in _SETTINGS:
        if key.startswith(prefix) or f'.{prefix}' in key:
            return setting
    return 'model.' + key.split('.')[0]


def _warn(message: str) -> None:
    print_log(message, logger='current', level=logging.WARNING)


def prepare_state_dict(
        model: nn.Module,
        state_dict: 'OrderedDict[str, torch.Tensor]',
        source: str,
        allow_partial: bool = False,
        migrate_memory: bool = False) -> 'OrderedDict[str, torch.Tensor]':
    """Check (and, where asked, adapt) a checkpoint's state dict for
    ``model`` before anything is loaded.

    1. With ``migrate_memory`` a memory bank of another size or dtype is
       migrated to the model's, keeping its newest entries in queue order
       (:meth:`MemoryBank.migrate_state_dict`).
    2. Every bank state is validated whole (shape, dtype and queue
       consistency, :meth:`MemoryBank.check_state`).
    3. Every other key and shape must match the model.

    Any difference stops the load with one :class:`CheckpointMismatchError`
    that names the keys and the config settings behind them. With
    ``allow_partial`` they are skipped instead, each with a warning; a bank
    that does not fit is skipped whole (the model keeps its fresh bank), never
    loaded in part.

    Args:
        model (nn.Module): The model (unwrapped) to load into.
        state_dict (OrderedDict[str, torch.Tensor]): The checkpoint's state
            dict, keys already revised (no ``module.``).
        source (str): The checkpoint's name, for messages.
        allow_partial (bool): Skip what does not fit instead of stopping.
            Defaults to False.
        migrate_memory (bool): Migrate banks of another size or dtype.
            Defaults to False.

    Returns:
        OrderedDict[str, torch.Tensor]: The state dict to load (the same
        object, edited in place).

    Raises:
        CheckpointMismatchError: If the checkpoint does not fit and
            ``allow_partial`` is False.
    """
    problems: List[str] = []
    skip: List[str] = []
    bank_keys = set()
    for prefix, bank in _banks(model):
        keys = [prefix + k for k in ('feats', 'labels', 'ptr', 'num_seen')]
        bank_keys.update(keys)
        if not any(k in state_dict for k in keys):
            continue  # reported as missing keys below
        try:
            if migrate_memory and bank.migrate_state_dict(state_dict, prefix):
                _warn(f'{source}: migrated the memory bank ({prefix}*) to '
                      f'{bank.describe()}, keeping the newest '
                      f'{int(state_dict[prefix + "num_seen"])} entries.')
            bank.check_state(state_dict, prefix)
        except ValueError as err:
            problems.append(str(err))
            skip.extend(k for k in keys if k in state_dict)
    expected = {
        k: v
        for k, v in expected_state(model).items() if k not in bank_keys
    }
    others = {k: v for k, v in state_dict.items() if k not in bank_keys}
    mismatches = state_dict_mismatches(expected, others)
    if mismatches:
        differ = [
            k for k in others
            if k not in expected or others[k].shape != expected[k].shape
        ]
        settings = sorted({
            _setting(k)
            for k in differ + [k for k in expected if k not in others]
        })
        problems.append('; '.join(mismatches) +
                        f'. Settings behind them: {", ".join(settings)}.')
        skip.extend(differ)
    if not problems:
        return state_dict
    if not allow_partial:
        raise CheckpointMismatchError(
            f'{source} does not match the model, nothing was loaded:\n- ' +
            '\n- '.join(problems) +
            '\nRestore the config the checkpoint was trained with; for a '
            'deliberate partial load pass --allow-partial-load (config: '
            'load_checkpoint_cfg = dict(allow_partial=True)).')
    for key in skip:
        _warn(f'{source}: partial load skips {key} (the model keeps its '
              f'own value).')
        del state_dict[key]
    for key in sorted(set(expected) - set(state_dict)):
        _warn(f'{source}: partial load leaves {key} as initialised '
              f'(not in the checkpoint).')
    return state_dict


def checkpoint_candidates(work_dir: str) -> List[str]:
    """Checkpoints to resume from, newest first.

    The one ``last_checkpoint`` names, then every other ``*.pth`` of the
    work dir by modification time.

    Args:
        work_dir (str): The run's work dir.

    Returns:
        list[str]: Existing checkpoint paths, newest first.
    """
    named = []
    last = osp.join(work_dir, 'last_checkpoint')
    if osp.isfile(last):
        with open(last) as f:
            path = f.read().strip()
        if path and osp.isfile(path):
            named.append(path)
    found = sorted(glob.glob(osp.join(work_dir, '*.pth')),
                   key=osp.getmtime,
                   reverse=True)
    return named + [
        p for p in found if not any(osp.samefile(p, n) for n in named)
    ]


def latest_loadable_checkpoint(work_dir: str) -> Optional[str]:
    """The newest checkpoint of ``work_dir`` that can be read.

    A checkpoint cut short (a kill while it was written by code that does
    not write atomically, a full disk) misses the zip directory at its end:
    opening it memory-mapped fails at once without reading the tensors. Such
    files are skipped with a warning, so ``--resume auto`` continues from
    the previous checkpoint instead of failing.

    Args:
        work_dir (str): The run's work dir.

    Returns:
        str, optional: The checkpoint to resume from, or None if none can
        be read.
    """
    for path in checkpoint_candidates(work_dir):
        try:
            load_checkpoint_safely(path, map_location='cpu', mmap=True)
        except Exception as err:  # any unreadable file is skipped
            reason = str(err).splitlines()[0] if str(err) else repr(err)
            _warn(f'--resume auto: skipping {path}, it cannot be read '
                  f'({type(err).__name__}: {reason}); trying the previous '
                  f'checkpoint.')
            continue
        return path
    return None
