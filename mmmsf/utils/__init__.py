# Copyright (c) mmmsf contributors. All rights reserved.
from .optional_imports import import_mmselfsup
from .rng_state import get_rng_state, set_rng_state

__all__ = ['import_mmselfsup', 'get_rng_state', 'set_rng_state']
