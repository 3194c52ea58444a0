# Copyright (c) mmmsf contributors. All rights reserved.
"""Capture and restore the random number generators of a process."""
import random
from typing import Any, Dict

import numpy as np
import torch


def get_rng_state() -> Dict[str, Any]:
    """The states of Python's, NumPy's and torch's (CPU and CUDA) RNGs.

    Returns:
        dict: ``python``, ``numpy``, ``torch`` and, where CUDA is
        initialised, ``cuda`` (one state per device). Every value loads with
        ``torch.load(weights_only=True)`` under mmmsf's allow-list.
    """
    state = dict(python=random.getstate(),
                 numpy=np.random.get_state(),
                 torch=torch.get_rng_state())
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        state['cuda'] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: Dict[str, Any]) -> None:
    """Restore the RNG states returned by :func:`get_rng_state`.

    Args:
        state (dict): The states to restore.
    """
    random.setstate(_as_tuple(state['python']))
    np.random.set_state(_as_tuple(state['numpy']))
    torch.set_rng_state(state['torch'].cpu())
    if 'cuda' in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all([s.cpu() for s in state['cuda']])


def _as_tuple(value: Any) -> Any:
    """Tuples, recursively (they may come back from a checkpoint as lists)."""
    if isinstance(value, (list, tuple)):
        return tuple(_as_tuple(v) for v in value)
    return value
