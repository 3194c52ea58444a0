# Copyright (c) mmmsf contributors. All rights reserved.
from .embedded_digits import EmbeddedDigits, load_digits_arrays
from .transforms import *  # noqa: F401,F403

__all__ = ['EmbeddedDigits', 'load_digits_arrays']
