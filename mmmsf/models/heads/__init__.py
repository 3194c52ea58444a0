# Copyright (c) mmmsf contributors. All rights reserved.
from .mean_shift_head import MeanShiftHead

__all__ = ['MeanShiftHead']
