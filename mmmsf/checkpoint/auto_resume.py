# Copyright (c) mmmsf contributors. All rights reserved.
"""``--resume auto``: the newest checkpoint of a work dir that can be read."""
import glob
import logging
import os.path as osp
from typing import List, Optional

from mmengine.logging import print_log

from .safe_loading import load_checkpoint_safely


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
            print_log(
                f'--resume auto: skipping {path}, it cannot be read '
                f'({type(err).__name__}: {reason}); trying the previous '
                f'checkpoint.',
                logger='current',
                level=logging.WARNING)
            continue
        return path
    return None
