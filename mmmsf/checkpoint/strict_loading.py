# Copyright (c) mmmsf contributors. All rights reserved.
"""Strict checkpoint loading: state-dict diffing, resume and ``load_from``.

mmengine's ``Runner`` loads non-strictly: a tensor whose shape changed (a
larger memory bank, a wider projector) is reported at info level and left
at its fresh value, so a resumed run can train against a random bank that
claims to be full. :func:`prepare_state_dict` refuses any difference before
anything is loaded, unless the user opts in to a bank migration or to a
deliberate partial load. :func:`state_dict_mismatches` is the one
key-for-key comparison behind it, the backbone loader and the converters.
"""
import logging
from collections import OrderedDict
from typing import Dict, Iterator, List, Mapping, Tuple

import torch
from mmengine.logging import print_log
from torch import nn

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
_MAX_SHOWN = 20  # keys named per kind of mismatch


def _listing(keys: Iterator[str]) -> str:
    """The first keys, quoted, and how many more there are."""
    keys = list(keys)
    shown = ', '.join(repr(k) for k in keys[:_MAX_SHOWN])
    more = len(keys) - _MAX_SHOWN
    return shown + (f' ... (and {more} more)' if more > 0 else '')


def state_dict_mismatches(expected: Mapping[str, torch.Tensor],
                          given: Mapping[str, torch.Tensor]) -> List[str]:
    """Describe how ``given`` differs from ``expected``, key for key.

    Args:
        expected (Mapping[str, torch.Tensor]): State dict of the target
            model.
        given (Mapping[str, torch.Tensor]): State dict to load.

    Returns:
        list[str]: One entry each for missing, unexpected and mis-shaped
        keys (naming them); empty when the two match.
    """
    missing = [k for k in expected if k not in given]
    unexpected = [k for k in given if k not in expected]
    shapes = [
        f'{k} ({tuple(given[k].shape)} in checkpoint, '
        f'{tuple(v.shape)} in model)' for k, v in expected.items()
        if k in given and tuple(given[k].shape) != tuple(v.shape)
    ]
    return [
        f'{name}: {_listing(keys)}'
        for name, keys in (('missing keys', missing), ('unexpected keys',
                                                       unexpected),
                           ('shape mismatches', shapes)) if keys
    ]


def check_state_dict(expected: Mapping[str, torch.Tensor],
                     given: Mapping[str, torch.Tensor], what: str) -> None:
    """Raise if ``given`` does not match ``expected`` key for key.

    Args:
        expected (Mapping[str, torch.Tensor]): State dict of the target
            model.
        given (Mapping[str, torch.Tensor]): State dict to load.
        what (str): What is being loaded into what, for the message.

    Raises:
        KeyError: Naming missing, unexpected and mis-shaped keys.
    """
    problems = state_dict_mismatches(expected, given)
    if problems:
        raise KeyError(f'{what}: the keys do not match; ' +
                       '; '.join(problems))


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
