# Copyright (c) mmmsf contributors. All rights reserved.
"""Checkpoint loading that stays ``weights_only`` and says what it refused."""
import os.path as osp
import pickle
import re
import zipfile
from typing import Any, Callable, Optional, Union

import torch

# torch: "Unsupported global: GLOBAL posix.system was not an allowed ..."
_GLOBAL_RE = re.compile(r'GLOBAL ([\w.]+)')


class UnsafeCheckpointError(pickle.UnpicklingError):
    """A checkpoint pickles something outside mmmsf's allow-list."""


def load_checkpoint_safely(filename: str,
                           map_location: Optional[Union[str, torch.device,
                                                        Callable]] = None,
                           mmap: bool = False) -> Any:
    """``torch.load(filename, weights_only=True)`` with a clear refusal.

    ``weights_only=True`` is passed explicitly, so neither an old default
    nor ``TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD`` can turn it off; the
    allow-list is the one of :func:`register_checkpoint_safe_globals`.
    Nothing that the checkpoint pickles is called before the refusal.

    Args:
        filename (str): Path of the checkpoint.
        map_location (str | torch.device | Callable, optional): As in
            :func:`torch.load`. Defaults to None.
        mmap (bool): Map the file into memory instead of reading it: a
            tensor is read from disk only when used, so taking the backbone
            out of a checkpoint does not hold its memory bank in RAM. Files
            in torch's legacy (non-zip) format are read whole. Defaults to
            False.

    Returns:
        Any: The loaded checkpoint.

    Raises:
        UnsafeCheckpointError: The file pickles a global (a function or
            class) that is not allow-listed; the message names it and the
            file.
    """
    if mmap and not zipfile.is_zipfile(filename):
        mmap = False  # only torch's zip format can be mapped
    try:
        return torch.load(filename,
                          map_location=map_location,
                          weights_only=True,
                          mmap=mmap)
    except pickle.UnpicklingError as err:
        found = _GLOBAL_RE.search(str(err))
        what = found.group(1) if found else str(err).splitlines()[0]
        raise UnsafeCheckpointError(
            f'refused to load {filename!r}: it pickles {what!r}, which is '
            f'not on mmmsf\'s allow-list of checkpoint types '
            f'(torch.load(weights_only=True)); it was not run. mmengine '
            f'checkpoints of mmmsf never contain it: the file was made by '
            f'other code or was tampered with. Do not allow-list it unless '
            f'you know what the file is.') from None


def _load_from_local(filename: str, map_location=None) -> Any:
    """mmengine's local-file scheme through :func:`load_checkpoint_safely`."""
    filename = osp.expanduser(filename)
    if not osp.isfile(filename):
        raise FileNotFoundError(f'{filename} can not be found.')
    return load_checkpoint_safely(filename, map_location=map_location)


def register_safe_local_loader() -> None:
    """Route mmengine's local checkpoint loading through
    :func:`load_checkpoint_safely`.

    ``--resume``, ``load_from`` and ``init_cfg=dict(type='Pretrained')`` of
    local files all go through mmengine's ``CheckpointLoader`` scheme
    ``''``; this replaces it (remote schemes keep torch's default,
    ``weights_only=True`` since torch 2.6).
    """
    from mmengine.runner.checkpoint import CheckpointLoader
    CheckpointLoader.register_scheme(prefixes='',
                                     loader=_load_from_local,
                                     force=True)
