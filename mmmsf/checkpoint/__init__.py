# Copyright (c) mmmsf contributors. All rights reserved.
"""Checkpoint I/O for training: strict loads, bank migration, atomic saves."""
from .atomic_local_backend import (AtomicLocalBackend,
                                   register_atomic_local_backend)
from .strict_loading import (CheckpointMismatchError, checkpoint_candidates,
                             expected_state, latest_loadable_checkpoint,
                             prepare_state_dict)

__all__ = [
    'AtomicLocalBackend', 'register_atomic_local_backend',
    'CheckpointMismatchError', 'checkpoint_candidates', 'expected_state',
    'latest_loadable_checkpoint', 'prepare_state_dict'
]
