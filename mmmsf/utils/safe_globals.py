# Copyright (c) mmmsf contributors. All rights reserved.
"""Allow-list for loading mmengine checkpoints with ``weights_only=True``."""
from typing import List

import torch

CHECKPOINT_SAFE_GLOBALS: List[object] = []


def register_checkpoint_safe_globals() -> List[object]:
    """Allow-list the types that mmengine checkpoints pickle.

    Since torch 2.6, ``torch.load`` defaults to ``weights_only=True`` and
    refuses anything but tensors and plain containers. mmengine 0.10.7
    checkpoints also hold the message hub (``HistoryBuffer`` objects with
    numpy arrays), so ``--resume`` and ``load_from`` fail. This adds exactly
    those types to torch's allow-list; safety stays on, and any other
    pickled global (e.g. an arbitrary callable) is still refused.

    Returns:
        list: The globals that were allow-listed.
    """
    import numpy as np
    from mmengine.logging import HistoryBuffer

    safe = [HistoryBuffer, np.ndarray, np.dtype]
    # numpy moved its pickling helpers from ``numpy.core`` to ``_core``
    for modname in ('numpy._core.multiarray', 'numpy.core.multiarray'):
        try:
            module = __import__(modname, fromlist=['_reconstruct', 'scalar'])
        except ImportError:
            continue
        safe += [module._reconstruct, module.scalar]
        break
    # the dtype classes of numpy >= 1.25 (``np.dtypes.Float64DType`` ...)
    dtypes = getattr(np, 'dtypes', None)
    if dtypes is not None:
        safe += [
            getattr(dtypes, name) for name in dir(dtypes)
            if name.endswith('DType')
        ]
    if hasattr(torch.serialization, 'add_safe_globals'):
        torch.serialization.add_safe_globals(safe)
    CHECKPOINT_SAFE_GLOBALS[:] = safe
    return safe
