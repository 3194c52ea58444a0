# Copyright (c) mmmsf contributors. All rights reserved.
import random
from contextlib import contextmanager
from typing import Any, Iterator, Tuple, Union

import numpy as np
import torch
from mmpretrain.registry import DATASETS
from torch.utils.data import Dataset, get_worker_info

# what a seeded sampler yields: (dataset index, epoch, base seed)
SeededIndex = Tuple[int, int, int]


def sample_seed(seed: int, epoch: int, index: int) -> int:
    """The augmentation seed of one sample in one epoch (63 bits).

    Args:
        seed (int): Base seed of the run.
        epoch (int): Epoch, from 0.
        index (int): Index of the sample in the dataset.

    Returns:
        int: A seed that depends only on its three arguments.
    """
    words = np.random.SeedSequence([seed % 2**63, epoch,
                                    index]).generate_state(2, np.uint32)
    return (int(words[0]) << 31) ^ int(words[1])


@contextmanager
def seeded_rngs(seed: int, restore: bool) -> Iterator[None]:
    """Seed Python's, NumPy's and torch's global RNGs for one sample.

    Args:
        seed (int): The seed of the sample.
        restore (bool): Put the previous states back on exit (needed in the
            main process, whose RNGs also drive the model).
    """
    states = (random.getstate(), np.random.get_state(),
              torch.get_rng_state()) if restore else None
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    try:
        yield
    finally:
        if states is not None:
            random.setstate(states[0])
            np.random.set_state(states[1])
            torch.set_rng_state(states[2])


@DATASETS.register_module()
class PerSampleSeededDataset(Dataset):
    """Make each sample's augmentation a function of (seed, epoch, index).

    With data-loading workers, the random augmentations of a batch depend on
    which worker loaded it and on everything that worker loaded before, so a
    run resumed in the middle of an epoch draws other crops and colour
    jitters than the run it continues (the workers restart). This wrapper
    reseeds the global RNGs (``random``, ``numpy``, ``torch``) before each
    sample's pipeline from its dataset index, the epoch and the run's seed,
    so the augmentation no longer depends on workers, their number, the
    number of processes or where the epoch was resumed, while it still
    changes from epoch to epoch. The main process's RNG states are restored
    after each sample (``num_workers=0``).

    The index must come from :class:`~mmmsf.datasets.PerSampleSeededSampler`,
    which yields ``(index, epoch, seed)`` triples; a plain integer index
    loads the sample without reseeding (inspection tools, hooks that peek
    at a sample). Settings written next to ``dataset`` are the wrapped
    dataset's, so a config keeps ``train_dataloader.dataset.pipeline`` where
    mmpretrain's configs have it::

        train_dataloader = dict(
            sampler=dict(type='PerSampleSeededSampler', shuffle=True),
            dataset=dict(type='PerSampleSeededDataset',
                         dataset=dict(type='ImageNet'),
                         data_root='data/imagenet/', split='train',
                         pipeline=train_pipeline))

    Args:
        dataset (Dataset | dict): The dataset or its config.
        **kwargs: Settings of the wrapped dataset's config (only with a
            config ``dataset``); they update ``dataset``.
    """

    def __init__(self, dataset: Union[Dataset, dict], **kwargs) -> None:
        if kwargs:
            if not isinstance(dataset, dict):
                raise TypeError(
                    f'PerSampleSeededDataset: settings {sorted(kwargs)} are '
                    f'those of a dataset config; got a built '
                    f'{type(dataset).__name__} as `dataset`.')
            dataset = dict(dataset, **kwargs)
        if isinstance(dataset, dict):
            dataset = DATASETS.build(dataset)
        self.dataset = dataset

    def __len__(self) -> int:
        return len(self.dataset)

    def __getitem__(self, key: Union[int, SeededIndex]) -> Any:
        if not isinstance(key, tuple):
            return self.dataset[key]
        index, epoch, seed = key
        in_worker = get_worker_info() is not None
        with seeded_rngs(sample_seed(seed, epoch, index),
                         restore=not in_worker):
            return self.dataset[index]

    def __getattr__(self, name: str) -> Any:
        # metainfo, pipeline, data_root, ... of the wrapped dataset
        # `dataset` is not set yet while unpickling; dunders (e.g. a
        # batched `__getitems__`) must not bypass the seeding
        if name == 'dataset' or name.startswith('__'):
            raise AttributeError(name)
        return getattr(self.dataset, name)

    def __repr__(self) -> str:
        return f'{type(self).__name__}({self.dataset!r})'
