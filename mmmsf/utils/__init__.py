# Copyright (c) mmmsf contributors. All rights reserved.
from .rng_state import get_rng_state, set_rng_state

__all__ = ['get_rng_state', 'set_rng_state']
