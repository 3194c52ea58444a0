# Copyright (c) mmmsf contributors. All rights reserved.
"""The EMA generator of an LMA (IC-GAN) checkpoint, ready to sample."""
import ast
import os.path as osp
from typing import Any, Callable, Optional, Union

import torch
from torch import nn

from .safe_loading import UnsafeCheckpointError, load_checkpoint_safely
from .strict_loading import state_dict_mismatches

EMA_PREFIX = 'generator_ema.module.'


class GeneratorCheckpointError(ValueError):
    """A file is not a readable checkpoint of an LMA generator."""


def _plain_value(node: ast.AST) -> Any:
    """The value of a config expression made only of literals and
    ``dict(...)`` calls with keyword arguments."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) \
            and node.func.id == 'dict' and not node.args \
            and all(k.arg is not None for k in node.keywords):
        return {k.arg: _plain_value(k.value) for k in node.keywords}
    if isinstance(node, ast.Dict) and None not in node.keys:
        return {
            _plain_value(k): _plain_value(v)
            for k, v in zip(node.keys, node.values)
        }
    if isinstance(node, (ast.List, ast.Tuple)):
        values = [_plain_value(e) for e in node.elts]
        return values if isinstance(node, ast.List) else tuple(values)
    return ast.literal_eval(node)  # constants, -1, ... or ValueError


def model_config_from_text(cfg_text: str) -> dict:
    """The ``model`` of a config text as mmengine's Runner stores it in
    ``meta.cfg``, read without running it.

    ``Config.fromstring`` would execute the text, so a tampered checkpoint
    could run code even though its tensors are loaded with
    ``weights_only=True``; here only literals and ``dict(...)`` are read.

    Args:
        cfg_text (str): The config text.

    Returns:
        dict: The ``model`` setting.

    Raises:
        ValueError: If the text assigns no plain-data ``model``.
    """
    for node in ast.parse(cfg_text).body:
        if isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == 'model'
                for t in node.targets):
            return _plain_value(node.value)
    raise ValueError('the config assigns no `model`')


def load_generator(
    checkpoint: str,
    map_location: Optional[Union[str, torch.device, Callable]] = 'cpu'
) -> nn.Module:
    """The EMA generator of an ``ICGAN`` checkpoint, in eval mode.

    The tensors are loaded with ``weights_only=True`` through mmmsf's
    allow-list (:func:`~mmmsf.checkpoint.load_checkpoint_safely`); the
    generator is rebuilt from ``model.generator`` of the config that
    mmengine's Runner stored in ``meta.cfg`` and loaded strictly from the
    ``generator_ema.module.*`` weights.

    Args:
        checkpoint (str): Path of a checkpoint written by
            ``tools/lma/train_generator.py``.
        map_location (str | torch.device | Callable, optional): As in
            :func:`torch.load`. Defaults to 'cpu'.

    Returns:
        nn.Module: The generator (``feature_dim``, ``z_dim``, ``img_size``,
        ``out_channels``; ``forward(z, h)``) in eval mode, without
        gradients.

    Raises:
        FileNotFoundError: If ``checkpoint`` does not exist.
        GeneratorCheckpointError: If it cannot be read, or holds no
            generator (no ``generator_ema.module.*`` weights or no
            ``model.generator`` in ``meta.cfg``), or the weights do not fit
            the stored config.
        UnsafeCheckpointError: If it pickles types outside the allow-list.
    """
    if not osp.isfile(checkpoint):
        raise FileNotFoundError(
            f'generator checkpoint {checkpoint!r} does not exist; train one '
            f'with `python tools/lma/train_generator.py CONFIG` and pass '
            f'its work dir\'s checkpoint (e.g. .../iter_N.pth).')
    try:
        ckpt = load_checkpoint_safely(checkpoint,
                                      map_location=map_location,
                                      mmap=True)
    except UnsafeCheckpointError:
        raise
    except Exception as err:
        raise GeneratorCheckpointError(
            f'generator checkpoint {checkpoint!r} cannot be read '
            f'({type(err).__name__}: {str(err).splitlines()[0]}); it is '
            f'truncated or not a torch checkpoint.') from err
    state_dict = ckpt.get('state_dict') if isinstance(ckpt, dict) else None
    weights = {
        k[len(EMA_PREFIX):]: v
        for k, v in (state_dict or {}).items() if k.startswith(EMA_PREFIX)
    }
    try:
        cfg = model_config_from_text(ckpt['meta']['cfg'])['generator']
    except Exception:
        cfg = None
    if not weights or not isinstance(cfg, dict):
        raise GeneratorCheckpointError(
            f'{checkpoint!r} holds no LMA generator: it needs '
            f'`{EMA_PREFIX}*` weights and the training config with a '
            f'`model.generator` in `meta.cfg`, as the ICGAN checkpoints of '
            f'tools/lma/train_generator.py have.')

    # registers the generators; mmmsf.checkpoint imports without mmpretrain
    from mmpretrain.registry import MODELS

    import mmmsf.models  # noqa: F401
    generator = MODELS.build(cfg)
    problems = state_dict_mismatches(generator.state_dict(), weights)
    if problems:
        raise GeneratorCheckpointError(
            f'{checkpoint!r}: the generator weights do not fit its stored '
            f'config model.generator={cfg}: ' + '; '.join(problems) + '.')
    generator.load_state_dict(weights)
    if isinstance(map_location, (str, torch.device)):
        generator.to(map_location)
    return generator.eval().requires_grad_(False)
