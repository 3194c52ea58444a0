# Copyright (c) mmmsf contributors. All rights reserved.
from .checked_load_image_from_file import CheckedLoadImageFromFile
from .hue_safe_color_jitter import HueSafeColorJitter, adjust_hue
from .local_manifold_augment import LocalManifoldAugment
from .mean_shift_views import VIEW_MODES, MeanShiftViews

__all__ = [
    'MeanShiftViews', 'VIEW_MODES', 'CheckedLoadImageFromFile',
    'HueSafeColorJitter', 'adjust_hue', 'LocalManifoldAugment'
]
