# Copyright (c) mmmsf contributors. All rights reserved.
from .model_utils import get_ori_model
from .safe_globals import (CHECKPOINT_SAFE_GLOBALS,
                           register_checkpoint_safe_globals)

__all__ = [
    'CHECKPOINT_SAFE_GLOBALS', 'register_checkpoint_safe_globals',
    'get_ori_model'
]
