# Copyright (c) mmmsf contributors. All rights reserved.
"""Tiny data and generators for the LMA tests: a few hundred 8x8
scikit-learn digits stored in a ``.npy`` file (so a test can change the
images behind an unchanged config) and a tiny generator checkpoint."""
import os.path as osp
from typing import List, Optional

import numpy as np
import torch
from mmpretrain.datasets import BaseDataset
from mmpretrain.registry import DATASETS, MODELS


@DATASETS.register_module(force=True)
class LMATestNpyImages(BaseDataset):
    """N x H x W x C uint8 images of ``<path>`` (``split='train'``) or
    ``<path>.<split>.npy``, with labels of ``<that file>.labels.npy`` (when
    it exists) under ``gt_label``."""

    METAINFO = {'classes': tuple(str(i) for i in range(10))}

    def __init__(self,
                 path: str,
                 split: str = 'train',
                 pipeline: Optional[list] = (),
                 **kwargs):
        self.path = path if split == 'train' else f'{path}.{split}.npy'
        # serialising ends in gc.collect(), seconds in a full test process
        kwargs.setdefault('serialize_data', False)
        super().__init__(ann_file='', pipeline=pipeline, **kwargs)

    def load_data_list(self) -> List[dict]:
        images = np.load(self.path)
        label_file = self.path + '.labels.npy'
        if not osp.isfile(label_file):
            return [dict(img=img) for img in images]
        labels = np.load(label_file)
        return [
            dict(img=img, gt_label=int(label))
            for img, label in zip(images, labels)
        ]


def write_digits(path: str, start: int = 0, num: int = 200) -> str:
    """Write ``num`` 8x8x3 scikit-learn digits (from ``start``) and their
    labels; returns ``path``."""
    from sklearn.datasets import load_digits
    digits = load_digits()
    gray = np.clip(digits.images[start:start + num] * (255 / 16), 0, 255)
    images = np.repeat(gray.round().astype(np.uint8)[..., None], 3, axis=3)
    np.save(path, images)
    np.save(path + '.labels.npy', digits.target[start:start + num])
    return path


def images_cfg(path: str) -> dict:
    """Config of the ``.npy`` dataset."""
    return dict(type='LMATestNpyImages', path=str(path))


def pca_cfg(path: str, cache_dir: str, num_components: int = 8) -> dict:
    """A PCA extractor fitted on the ``.npy`` images."""
    return dict(type='PCAFeatureExtractor',
                dataset=images_cfg(path),
                num_components=num_components,
                cache_dir=str(cache_dir))


def neighbourhood_cfg(path: str,
                      cache_dir: str,
                      k: int = 5,
                      num_components: int = 8) -> dict:
    """An ``InstanceNeighbourhoodDataset`` over the ``.npy`` images."""
    return dict(type='InstanceNeighbourhoodDataset',
                dataset=images_cfg(path),
                extractor=pca_cfg(path, cache_dir, num_components),
                k=k,
                cache_dir=str(cache_dir))


def save_generator(path: str,
                   feature_dim: int = 8,
                   img_size: int = 8,
                   out_channels: int = 3,
                   z_dim: int = 4) -> str:
    """A randomly initialised, tiny ``ICGANGenerator`` saved the way an
    ICGAN checkpoint stores it (``generator_ema.module.*`` weights and the
    config text in ``meta.cfg``); returns ``path``."""
    cfg = dict(type='ICGANGenerator',
               feature_dim=feature_dim,
               z_dim=z_dim,
               img_size=img_size,
               out_channels=out_channels,
               base_channels=4,
               embed_dim=4)
    weights = MODELS.build(cfg).state_dict()
    state_dict = {'generator_ema.module.' + k: v for k, v in weights.items()}
    cfg_text = f'model = dict(type="ICGAN", generator={cfg!r})\n'
    torch.save(dict(state_dict=state_dict, meta=dict(cfg=cfg_text)), path)
    return path
