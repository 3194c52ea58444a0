# Copyright (c) mmmsf contributors. All rights reserved.
from .mean_shift_views import VIEW_MODES, MeanShiftViews

__all__ = ['MeanShiftViews', 'VIEW_MODES']
