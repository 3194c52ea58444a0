# Copyright (c) mmmsf contributors. All rights reserved.
from .feature_extractor import extract_features
from .functional import *  # noqa: F401,F403

__all__ = ['extract_features']
