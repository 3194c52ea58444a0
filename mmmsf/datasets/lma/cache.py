# Copyright (c) mmmsf contributors. All rights reserved.
"""Fingerprints of image datasets and a small on-disk cache of arrays.

The neighbourhoods of LMA (and the PCA they are computed in) take seconds
to minutes to compute and are needed by every process that trains the
generator or applies it. They are computed once and stored as ``.npz``
files under a key that hashes everything they depend on: the images, the
dataset config, the extractor and its weights, ``k``.
"""
import hashlib
import json
import os
import os.path as osp
from typing import Callable, Dict, Iterator, Optional, Union

import numpy as np
import torch
from mmengine.logging import print_log
from mmpretrain.registry import DATASETS
from torch.utils.data import Dataset

DEFAULT_CACHE_DIR = osp.join('~', '.cache', 'mmmsf', 'lma')
# bump when the content of a cached file changes meaning
CACHE_VERSION = 1


def build_image_dataset(dataset: Union[dict, Dataset]) -> Dataset:
    """Build ``dataset`` from its config (a built dataset is returned)."""
    return DATASETS.build(dataset) if isinstance(dataset, dict) else dataset


def digest(obj: object) -> str:
    """SHA-256 of the canonical JSON of ``obj`` (a config, a key)."""
    text = json.dumps(obj, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def file_digest(path: str) -> str:
    """SHA-256 of a file's bytes (e.g. a checkpoint)."""
    sha = hashlib.sha256()
    with open(path, 'rb') as f:
        for block in iter(lambda: f.read(1 << 20), b''):
            sha.update(block)
    return sha.hexdigest()


def dataset_fingerprint(dataset: Dataset,
                        config: Optional[dict] = None) -> str:
    """A hash that changes when the images of ``dataset`` change.

    In-memory images (``img`` in the data info, as the digits datasets
    keep them) are hashed byte for byte; files (``img_path``) by path, size
    and modification time. The config, when given, covers the pipeline and
    the split.

    Args:
        dataset (Dataset): The image dataset.
        config (dict, optional): Its config. Defaults to None.

    Returns:
        str: Hex digest.
    """
    sha = hashlib.sha256(digest(config).encode())
    sha.update(f'{type(dataset).__name__}|{len(dataset)}'.encode())
    for i in range(len(dataset)):
        info = (dataset.get_data_info(i)
                if hasattr(dataset, 'get_data_info') else dataset[i])
        if info.get('img') is not None:
            img = np.ascontiguousarray(info['img'])
            sha.update(f'{img.shape}|{img.dtype}'.encode())
            sha.update(img.tobytes())
        elif info.get('img_path') is not None:
            stat = os.stat(info['img_path'])
            sha.update(f'{info["img_path"]}|{stat.st_size}|'
                       f'{stat.st_mtime_ns}'.encode())
        else:
            raise ValueError(
                f'{type(dataset).__name__}: sample {i} has neither `img` nor '
                f'`img_path`; LMA neighbourhoods need image datasets.')
    return sha.hexdigest()


def dataset_image(dataset: Dataset, index: int) -> np.ndarray:
    """Image ``index`` of ``dataset`` as H x W x C uint8."""
    img = np.asarray(dataset[index]['img'])
    if img.ndim == 2:
        img = img[..., None]
    if img.dtype != np.uint8:
        raise TypeError(f'{type(dataset).__name__}: image {index} is '
                        f'{img.dtype}; LMA expects uint8 images.')
    return img


def image_batches(dataset: Dataset,
                  batch_size: int = 256) -> Iterator[torch.Tensor]:
    """The images of ``dataset`` in order, as N x C x H x W uint8 batches.

    Raises:
        ValueError: If the images do not all have one size.
    """
    shape = None
    for start in range(0, len(dataset), batch_size):
        imgs = [
            dataset_image(dataset, i)
            for i in range(start, min(start + batch_size, len(dataset)))
        ]
        shape = shape or imgs[0].shape
        bad = [img.shape for img in imgs if img.shape != shape]
        if bad:
            raise ValueError(
                f'{type(dataset).__name__}: images of sizes {shape} and '
                f'{bad[0]} (H, W, C); add a Resize/CenterCrop to the '
                f'dataset pipeline so that all have one size.')
        yield torch.from_numpy(np.stack(imgs)).permute(0, 3, 1, 2)


def cached_arrays(
        cache_dir: Optional[str], kind: str, key: dict,
        compute: Callable[[], Dict[str, np.ndarray]]) -> Dict[str, np.ndarray]:
    """Load the arrays stored under ``key``, computing and storing them once.

    The file is ``<cache_dir>/<kind>-<hash of key>.npz``, written to a
    temporary name and renamed, so processes that compute it at the same
    time never read a partial file. A file that cannot be read is
    recomputed.

    Args:
        cache_dir (str, optional): Folder of the cache. Defaults to
            ``~/.cache/mmmsf/lma`` when None.
        kind (str): What is stored (``'pca'``, ``'neighbourhood'``).
        key (dict): Everything the arrays depend on (JSON-serialisable).
        compute (Callable): Returns the arrays on a cache miss.

    Returns:
        dict[str, np.ndarray]: The arrays; ``'cache_file'`` holds the path.
    """
    cache_dir = osp.expanduser(cache_dir or DEFAULT_CACHE_DIR)
    key = dict(key, kind=kind, version=CACHE_VERSION)
    path = osp.join(cache_dir, f'{kind}-{digest(key)[:24]}.npz')
    if osp.isfile(path):
        try:
            with np.load(path, allow_pickle=False) as stored:
                arrays = {name: stored[name] for name in stored.files}
            arrays['cache_file'] = np.array(path)
            return arrays
        except (OSError, ValueError, EOFError) as err:
            print_log(f'recomputing the unreadable cache {path}: {err}',
                      logger='current')
    arrays = compute()
    os.makedirs(cache_dir, exist_ok=True)
    tmp = f'{path}.{os.getpid()}.tmp'
    with open(tmp, 'wb') as f:
        np.savez(f, key=np.array(json.dumps(key, default=str)), **arrays)
    os.replace(tmp, path)
    print_log(f'LMA: cached the {kind} in {path}', logger='current')
    return dict(arrays, cache_file=np.array(path))
