# Copyright (c) mmmsf contributors. All rights reserved.
from .optional_imports import import_mmselfsup
from .rng_state import get_rng_state, set_rng_state
from .safe_globals import (CHECKPOINT_SAFE_GLOBALS,
                           register_checkpoint_safe_globals)
from .safe_loading import UnsafeCheckpointError, load_checkpoint_safely

__all__ = [
    'CHECKPOINT_SAFE_GLOBALS', 'register_checkpoint_safe_globals',
    'import_mmselfsup', 'get_rng_state', 'set_rng_state',
    'load_checkpoint_safely', 'UnsafeCheckpointError'
]
