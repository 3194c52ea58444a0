# Copyright (c) mmmsf contributors. All rights reserved.
from .feature_extractor import extract_features
from .feature_statistics import backbone_feature_statistics
from .knn import knn_accuracy, knn_search, majority_vote, weighted_vote
from .linear_transfer import (default_regularization_grid, held_out_split,
                              regularization_sweep, transfer_linear_eval,
                              transfer_score)

__all__ = [
    'extract_features', 'backbone_feature_statistics',
    'default_regularization_grid', 'held_out_split', 'regularization_sweep',
    'transfer_linear_eval', 'transfer_score', 'knn_accuracy', 'knn_search',
    'majority_vote', 'weighted_vote'
]
