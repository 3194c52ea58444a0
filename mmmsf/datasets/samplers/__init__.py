# Copyright (c) mmmsf contributors. All rights reserved.
from .per_sample_seeded_sampler import PerSampleSeededSampler

__all__ = ['PerSampleSeededSampler']
