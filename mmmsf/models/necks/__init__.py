# Copyright (c) mmmsf contributors. All rights reserved.
from .l2_norm_standardize_neck import L2NormStandardizeNeck

__all__ = ['L2NormStandardizeNeck']
