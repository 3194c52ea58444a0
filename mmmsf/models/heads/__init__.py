# Copyright (c) mmmsf contributors. All rights reserved.
from .co2_head import CO2Head
from .mean_shift_head import MeanShiftHead

__all__ = ['MeanShiftHead', 'CO2Head']
