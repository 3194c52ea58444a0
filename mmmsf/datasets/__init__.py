# Copyright (c) mmmsf contributors. All rights reserved.
from .embedded_digits import EmbeddedDigits, load_digits_arrays
from .lma import (BackboneFeatureExtractor, InstanceNeighbourhoodDataset,
                  PCAFeatureExtractor)
from .per_sample_seeded_dataset import PerSampleSeededDataset
from .samplers import PerSampleSeededSampler
from .stratified_fashion_mnist import StratifiedFashionMNIST
from .transforms import *  # noqa: F401,F403

__all__ = [
    'EmbeddedDigits', 'load_digits_arrays', 'PerSampleSeededDataset',
    'PerSampleSeededSampler', 'StratifiedFashionMNIST',
    'InstanceNeighbourhoodDataset', 'PCAFeatureExtractor',
    'BackboneFeatureExtractor'
]
