# Copyright (c) mmmsf contributors. All rights reserved.
"""Allow-list for loading mmengine checkpoints with ``weights_only=True``."""
import pickle
from typing import Any, List

import torch

CHECKPOINT_SAFE_GLOBALS: List[object] = []
# statistic methods every HistoryBuffer registers on construction
_DEFAULT_STATISTICS = frozenset({'min', 'max', 'current', 'mean'})


def _history_buffer_getattr(obj: Any, name: str) -> Any:
    """A ``getattr`` that only resolves HistoryBuffer statistic methods.

    mmengine's message hub pickles ``HistoryBuffer._statistics_methods``,
    a dict of functions that pickle as ``getattr(HistoryBuffer, 'min')``.
    Allow-listing the real ``getattr`` would let a checkpoint reach any
    attribute (and from there ``eval``); this stand-in accepts exactly those
    lookups and refuses everything else.
    """
    from mmengine.logging import HistoryBuffer
    allowed = _DEFAULT_STATISTICS | set(HistoryBuffer._statistics_methods)
    if obj is HistoryBuffer and name in allowed:
        return getattr(obj, name)
    raise pickle.UnpicklingError(
        f'refused to load getattr({obj!r}, {name!r}) from a checkpoint: only '
        f'HistoryBuffer statistic methods are allow-listed by mmmsf.')


def register_checkpoint_safe_globals() -> List[object]:
    """Allow-list the types that mmengine checkpoints pickle.

    Since torch 2.6, ``torch.load`` defaults to ``weights_only=True`` and
    refuses anything but tensors and plain containers. mmengine 0.10.7
    checkpoints also hold the message hub (``HistoryBuffer`` objects with
    numpy arrays and their statistic methods), so ``--resume`` and
    ``load_from`` fail. This adds exactly those types to torch's allow-list;
    safety stays on and any other pickled global (``os.system``, ``eval``,
    ...) is still refused before it can run. mmengine's local checkpoint
    loading is routed through
    :func:`~mmmsf.checkpoint.load_checkpoint_safely`, which passes
    ``weights_only=True`` explicitly and names the refused global and file.

    Returns:
        list: The globals that were allow-listed.
    """
    import numpy as np
    from mmengine.logging import HistoryBuffer

    safe = [
        HistoryBuffer, np.ndarray, np.dtype,
        (_history_buffer_getattr, 'builtins.getattr')
    ]
    # numpy 2 pickles its helpers as ``numpy._core``, numpy 1 as ``core``
    for modname in ('numpy._core.multiarray', 'numpy.core.multiarray'):
        try:
            module = __import__(modname, fromlist=['_reconstruct', 'scalar'])
        except ImportError:
            continue
        safe += [(module._reconstruct, f'{modname}._reconstruct'),
                 (module.scalar, f'{modname}.scalar')]
    # the dtype classes of numpy >= 1.25 (``np.dtypes.Float64DType`` ...)
    dtypes = getattr(np, 'dtypes', None)
    if dtypes is not None:
        safe += [
            getattr(dtypes, name) for name in dir(dtypes)
            if name.endswith('DType')
        ]
    torch.serialization.add_safe_globals(safe)
    CHECKPOINT_SAFE_GLOBALS[:] = safe
    from .safe_loading import register_safe_local_loader
    register_safe_local_loader()
    return safe
