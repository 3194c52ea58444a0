# Copyright (c) mmmsf contributors. All rights reserved.
import gzip
import os.path as osp
from typing import List, Optional, Tuple

import numpy as np
from mmpretrain.datasets import BaseDataset
from mmpretrain.registry import DATASETS

# where Debian's ``dataset-fashion-mnist`` package puts the files
DEFAULT_DATA_ROOT = '/usr/share/datasets/fashion-mnist'
# (images, labels) of the official training (60,000) and test (10,000) sets
IDX_FILES = {
    'train': ('train-images-idx3-ubyte.gz', 'train-labels-idx1-ubyte.gz'),
    'test': ('t10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz'),
}
SPLITS = ('train', 'val', 'test')
NAME = 'StratifiedFashionMNIST'
# element types of the IDX format (third byte of the magic number)
_IDX_DTYPES = {
    0x08: np.uint8,
    0x09: np.int8,
    0x0B: np.dtype('>i2'),
    0x0C: np.dtype('>i4'),
    0x0D: np.dtype('>f4'),
    0x0E: np.dtype('>f8'),
}


def read_idx(path: str) -> np.ndarray:
    """Read one IDX file (gzipped when its name ends in ``.gz``).

    Args:
        path (str): The file.

    Returns:
        np.ndarray: The array, shaped as the file's header says
        (N x H x W for images, N for labels).
    """
    opener = gzip.open if path.endswith('.gz') else open
    with opener(path, 'rb') as f:
        raw = f.read()
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or \
            raw[2] not in _IDX_DTYPES:
        raise ValueError(f'{path} is not an IDX file (bad magic number).')
    dtype, ndim = np.dtype(_IDX_DTYPES[raw[2]]), raw[3]
    shape = tuple(np.frombuffer(raw, '>i4', count=ndim, offset=4))
    offset = 4 + 4 * ndim
    if len(raw) - offset != int(np.prod(shape)) * dtype.itemsize:
        raise ValueError(f'{path}: the header announces shape {shape} but '
                         f'the file holds {len(raw) - offset} data bytes.')
    return np.frombuffer(raw, dtype, offset=offset).reshape(shape)


def load_fashion_mnist_arrays(
        data_root: str = DEFAULT_DATA_ROOT,
        subset: str = 'train') -> Tuple[np.ndarray, np.ndarray]:
    """Load one official set of Fashion-MNIST from its IDX files.

    Args:
        data_root (str): Folder with the four IDX files, gzipped or not.
            Defaults to where ``apt-get install dataset-fashion-mnist``
            puts them.
        subset (str): ``'train'`` (60,000 images) or ``'test'`` (10,000).
            Defaults to ``'train'``.

    Returns:
        tuple[np.ndarray]: ``(images, labels)``, N x 28 x 28 uint8 and N
        int64.
    """
    if subset not in IDX_FILES:
        raise ValueError(f'{NAME}: unknown official set {subset!r}; choose '
                         f"'train' or 'test'.")
    paths = []
    for name in IDX_FILES[subset]:
        path = osp.join(data_root, name)
        unzipped = path[:-len('.gz')]
        paths.append(unzipped if osp.isfile(unzipped) and not osp.isfile(path)
                     else path)
    missing = [p for p in paths if not osp.isfile(p)]
    if missing:
        raise FileNotFoundError(
            f'{NAME}: missing {", ".join(missing)}. The files ship in '
            f"Debian's package dataset-fashion-mnist: `apt-get install -y "
            f'dataset-fashion-mnist` (as root; it puts them under '
            f'{DEFAULT_DATA_ROOT}), or set `data_root` to a folder holding '
            f'{" and ".join(IDX_FILES[subset])}.')
    images, labels = (read_idx(p) for p in paths)
    if images.ndim != 3 or len(images) != len(labels):
        raise ValueError(f'{NAME}: {paths[0]} holds images of shape '
                         f'{images.shape} for {len(labels)} labels.')
    return images.astype(np.uint8), labels.astype(np.int64)


def stratified_sample(labels: np.ndarray, num: int,
                      rng: np.random.Generator) -> np.ndarray:
    """Draw ``num`` positions with each class in proportion to its size.

    Quotas are rounded by largest remainder (ties to the lower class), so
    on balanced labels the per-class counts differ by at most one. Each
    class is permuted once, so for one ``rng`` state a smaller sample is
    contained in a larger one.

    Args:
        labels (np.ndarray): N class labels.
        num (int): Sample size, ``0 <= num <= N``.
        rng (np.random.Generator): Source of the per-class permutations.

    Returns:
        np.ndarray: ``num`` sorted positions into ``labels``.
    """
    classes, counts = np.unique(labels, return_counts=True)
    quota = counts * num / len(labels)
    take = np.floor(quota).astype(np.int64)
    extra = np.argsort(-(quota - take), kind='stable')[:num - take.sum()]
    take[extra] += 1
    chosen = [
        rng.permutation(np.flatnonzero(labels == c))[:k]
        for c, k in zip(classes, take)
    ]
    return np.sort(np.concatenate(chosen))


@DATASETS.register_module()
class StratifiedFashionMNIST(BaseDataset):
    """Fashion-MNIST with seeded, class-stratified train/val/test splits.

    70,000 real 28x28 grayscale product photos in 10 classes (clothes,
    shoes, bags; MIT licence): a harder real dataset than the digits, read
    from the gzipped IDX files of Debian's ``dataset-fashion-mnist``
    package, so nothing is downloaded. Items have the format of
    :class:`EmbeddedDigits`: ``img`` is an H x W x 3 uint8 array (gray
    replicated), so the digits pipelines apply unchanged. Unlike
    mmpretrain's ``FashionMNIST`` (official train/test only, downloads
    them), it has a validation split and subsets for tuning on CPU.

    Splits, all stratified by class and fixed by ``seed``:

    - ``'val'``: ``val_size`` images carved from the official 60,000
      training images;
    - ``'train'``: the other official training images;
    - ``'test'``: the official 10,000 test images.

    ``num_samples`` then keeps a stratified subset of the split (for one
    seed, a smaller subset is contained in a larger one). The val carve
    does not depend on ``num_samples``, so the splits stay disjoint
    whatever subset sizes the configs ask for.

    Args:
        split (str): ``'train'``, ``'val'`` or ``'test'``.
            Defaults to ``'train'``.
        val_size (int): Images of the official training set held out for
            ``'val'``. Defaults to 5000.
        num_samples (int, optional): Size of a stratified subset of the
            split; None keeps all of it. Defaults to None.
        with_label (bool): Keep ``gt_label``. Set False to mimic an
            unlabelled folder. Defaults to True.
        seed (int): Seed of the val carve and of the subsets.
            Defaults to 0.
        data_root (str): Folder with the IDX files. Defaults to
            ``/usr/share/datasets/fashion-mnist``.
        pipeline (list[dict]): Transforms. Defaults to ``()``.
        **kwargs: Other arguments of
            :class:`mmpretrain.datasets.BaseDataset`.
    """

    METAINFO = {
        'classes': ('T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat',
                    'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot')
    }

    def __init__(self,
                 split: str = 'train',
                 val_size: int = 5000,
                 num_samples: Optional[int] = None,
                 with_label: bool = True,
                 seed: int = 0,
                 data_root: str = DEFAULT_DATA_ROOT,
                 pipeline: Optional[list] = (),
                 **kwargs) -> None:
        if split not in SPLITS:
            raise ValueError(f'{NAME}: unknown split {split!r}; '
                             f'choose one of {SPLITS}.')
        if val_size < 0 or (split == 'val' and val_size == 0):
            raise ValueError(f'{NAME}: val_size must be >= 0 (> 0 for '
                             f"split='val'), got {val_size}.")
        if num_samples is not None and num_samples < 1:
            raise ValueError(f'{NAME}: num_samples must be >= 1 or '
                             f'None, got {num_samples}.')
        self.split = split
        self.val_size = val_size
        self.num_samples = num_samples
        self.with_label = with_label
        self.seed = seed
        super().__init__(ann_file='',
                         data_root=data_root,
                         pipeline=pipeline,
                         **kwargs)

    def _split_indices(self, labels: np.ndarray) -> np.ndarray:
        """Positions of this split in its official set, before any subset.

        Args:
            labels (np.ndarray): Labels of the official set.

        Returns:
            np.ndarray: Sorted positions into ``labels``.
        """
        if self.split == 'test':
            return np.arange(len(labels))
        if self.val_size >= len(labels):
            raise ValueError(f'{NAME}: val_size={self.val_size} leaves '
                             f'no training images out of {len(labels)}.')
        # its own stream: the carve does not depend on the subset sizes
        val = stratified_sample(labels, self.val_size,
                                np.random.default_rng([self.seed, 0]))
        if self.split == 'val':
            return val
        return np.setdiff1d(np.arange(len(labels)), val)

    def load_data_list(self) -> List[dict]:
        """Load the images of this split.

        Returns:
            list[dict]: One dict per image with ``img`` (H x W x 3 uint8)
            and, when ``with_label``, ``gt_label``.
        """
        images, labels = load_fashion_mnist_arrays(
            self.data_root, 'test' if self.split == 'test' else 'train')
        indices = self._split_indices(labels)
        if self.num_samples is not None:
            if self.num_samples > len(indices):
                raise ValueError(
                    f'{NAME}: num_samples={self.num_samples} exceeds '
                    f'the {len(indices)} images of split {self.split!r}.')
            rng = np.random.default_rng(
                [self.seed, 1 + SPLITS.index(self.split)])
            indices = indices[stratified_sample(labels[indices],
                                                self.num_samples, rng)]
        data_list = []
        for i in indices:
            info = dict(img=np.repeat(images[i][..., None], 3, axis=2))
            if self.with_label:
                info['gt_label'] = int(labels[i])
            data_list.append(info)
        return data_list
