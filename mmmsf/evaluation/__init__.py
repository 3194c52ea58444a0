# Copyright (c) mmmsf contributors. All rights reserved.
from .checkpoint_loading import backbone_state_dict, load_backbone_checkpoint
from .feature_extractor import extract_features
from .feature_statistics import backbone_feature_statistics
from .functional import *  # noqa: F401,F403
from .transfer import (PAPER_MSF_TRANSFER, PAPER_TRANSFER_MEANS,
                       default_regularization_grid, held_out_split,
                       regularization_sweep, transfer_linear_eval,
                       transfer_score, transfer_summary_markdown)
from .transfer_pipeline import (check_split_lists, evaluate_transfer_config,
                                extract_transfer_features, transfer_splits)

__all__ = [
    'extract_features', 'backbone_state_dict', 'load_backbone_checkpoint',
    'backbone_feature_statistics', 'PAPER_MSF_TRANSFER',
    'PAPER_TRANSFER_MEANS', 'default_regularization_grid', 'held_out_split',
    'regularization_sweep', 'transfer_linear_eval', 'transfer_score',
    'transfer_summary_markdown', 'evaluate_transfer_config',
    'extract_transfer_features', 'transfer_splits', 'check_split_lists'
]
