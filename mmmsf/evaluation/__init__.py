# Copyright (c) mmmsf contributors. All rights reserved.
from .checkpoint_loading import backbone_state_dict, load_backbone_checkpoint
from .feature_extractor import extract_features
from .feature_statistics import backbone_feature_statistics
from .functional import *  # noqa: F401,F403
from .linear_transfer import (default_regularization_grid, held_out_split,
                              regularization_sweep, transfer_linear_eval,
                              transfer_score)

__all__ = [
    'extract_features', 'backbone_state_dict', 'load_backbone_checkpoint',
    'backbone_feature_statistics', 'default_regularization_grid',
    'held_out_split', 'regularization_sweep', 'transfer_linear_eval',
    'transfer_score'
]
