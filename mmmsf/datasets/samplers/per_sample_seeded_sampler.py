# Copyright (c) mmmsf contributors. All rights reserved.
from typing import Iterator, Optional

from mmengine.dataset import DefaultSampler
from mmpretrain.registry import DATA_SAMPLERS
from torch.utils.data import Dataset

from ..per_sample_seeded_dataset import PerSampleSeededDataset, SeededIndex


@DATA_SAMPLERS.register_module()
class PerSampleSeededSampler(DefaultSampler):
    """mmengine's :class:`~mmengine.dataset.DefaultSampler` whose indices
    carry the epoch and the run's seed.

    It yields ``(index, epoch, seed)`` for each index ``DefaultSampler``
    yields (same order, same sharding over processes), the key from which
    :class:`~mmmsf.datasets.PerSampleSeededDataset` seeds the sample's
    augmentation, so that a run resumed mid-epoch with data-loading workers
    draws the augmentations of the uninterrupted run. The epoch is the one
    mmengine's ``DistSamplerSeedHook`` (``default_hooks.sampler_seed``)
    sets before each epoch; the seed is the sampler's, i.e. the run's
    ``randomness.seed``.

    Args:
        dataset (PerSampleSeededDataset): The wrapped training set.
        shuffle (bool): Shuffle the indices every epoch. Defaults to True.
        seed (int, optional): Seed of the shuffle and of the samples'
            augmentations; the runner passes the run's seed. Defaults to
            None (a random seed shared by all processes).
        round_up (bool): As in ``DefaultSampler``. Defaults to True.
    """

    def __init__(self,
                 dataset: Dataset,
                 shuffle: bool = True,
                 seed: Optional[int] = None,
                 round_up: bool = True) -> None:
        if not isinstance(dataset, PerSampleSeededDataset):
            raise ValueError(
                f'PerSampleSeededSampler needs the training set wrapped in '
                f'PerSampleSeededDataset, got {type(dataset).__name__}; set '
                f"`train_dataloader.dataset = dict(type='PerSampleSeeded"
                f"Dataset', dataset=...)`.")
        super().__init__(dataset,
                         shuffle=shuffle,
                         seed=seed,
                         round_up=round_up)

    def __iter__(self) -> Iterator[SeededIndex]:
        epoch, seed = self.epoch, int(self.seed)
        return ((int(index), epoch, seed) for index in super().__iter__())
