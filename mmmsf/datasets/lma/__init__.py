# Copyright (c) mmmsf contributors. All rights reserved.
"""Local manifold augmentation (LMA): conditioning features and the
neighbourhoods an instance-conditioned generator is trained on."""
from .backbone_feature_extractor import BackboneFeatureExtractor
from .cache import DEFAULT_CACHE_DIR, dataset_fingerprint
from .instance_neighbourhood_dataset import InstanceNeighbourhoodDataset
from .neighbourhood import knn_neighbours
from .pca_feature_extractor import PCAFeatureExtractor, fit_pca

__all__ = [
    'BackboneFeatureExtractor', 'PCAFeatureExtractor', 'fit_pca',
    'InstanceNeighbourhoodDataset', 'knn_neighbours', 'dataset_fingerprint',
    'DEFAULT_CACHE_DIR'
]
