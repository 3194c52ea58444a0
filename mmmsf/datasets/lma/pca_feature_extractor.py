# Copyright (c) mmmsf contributors. All rights reserved.
from typing import Dict, Optional, Union

import numpy as np
import torch
import torch.nn.functional as F
from mmpretrain.registry import MODELS
from torch import nn
from torch.utils.data import Dataset

from .cache import (build_image_dataset, cached_arrays, dataset_fingerprint,
                    digest, image_batches)


def fit_pca(dataset: Dataset,
            num_components: int,
            batch_size: int = 256) -> Dict[str, np.ndarray]:
    """Exact PCA of the raw pixels of ``dataset`` (scaled to [0, 1]).

    The pixel sums and products are accumulated one batch at a time in
    float64 on the raw uint8 values, where they are exact integers, so the
    covariance does not depend on the batch size or the BLAS threads; it is
    diagonalised exactly (no random projection) and each component's sign
    is fixed so that its largest entry is positive.

    Args:
        dataset (Dataset): Images of one size.
        num_components (int): Number of components.
        batch_size (int): Images read at once. Defaults to 256.

    Returns:
        dict[str, np.ndarray]: ``mean`` (D,), ``components``
        (num_components, D) and ``img_shape`` (C, H, W) of the fit, with
        D = C * H * W.
    """
    total = gram = shape = None
    for batch in image_batches(dataset, batch_size):
        shape = shape or tuple(batch.shape[1:])
        x = batch.reshape(len(batch), -1).double()  # N x D, integers
        total = x.sum(0) if total is None else total + x.sum(0)
        gram = x.t() @ x if gram is None else gram + x.t() @ x  # D x D
    num, dim = len(dataset), gram.shape[0]
    if not 1 <= num_components <= min(num, dim):
        raise ValueError(
            f'PCAFeatureExtractor: num_components={num_components} but the '
            f'fit has {num} images of {dim} pixel values; choose at most '
            f'{min(num, dim)}.')
    mean = total / num
    cov = (gram / num - torch.outer(mean, mean)) / 255**2  # pixels in [0, 1]
    mean = mean / 255
    _, vectors = torch.linalg.eigh(cov)  # ascending eigenvalues
    components = vectors[:, -num_components:].flip(1).t()  # K x D
    peak = components.abs().argmax(1, keepdim=True)
    components = components * components.gather(1, peak).sign()
    return dict(mean=mean.float().numpy(),
                components=components.float().numpy(),
                img_shape=np.array(shape))


@MODELS.register_module()
class PCAFeatureExtractor(nn.Module):
    """Label-free PCA of raw pixels, the conditioning features of LMA.

    Fitted on the images of ``dataset`` (the training split; labels are
    never read) when built, deterministically, and cached on disk under a
    hash of the images, the dataset config and ``num_components``, so every
    process (the generator's training, each data-loading worker of an SSL
    run) uses the same components. Suits small images (digits, 32 px); for
    larger ones use :class:`BackboneFeatureExtractor`.

    Features are ``normalize((x / 255 - mean) @ components.T)`` for images
    of the fitted size.

    Args:
        dataset (dict | Dataset): The training images (e.g.
            ``dict(type='EmbeddedDigits', split='train')``).
        num_components (int): Feature width. Defaults to 64.
        cache_dir (str, optional): Folder of the cache. Defaults to
            ``~/.cache/mmmsf/lma`` when None.
        batch_size (int): Images read at once while fitting.
            Defaults to 256.
    """

    def __init__(self,
                 dataset: Union[dict, Dataset],
                 num_components: int = 64,
                 cache_dir: Optional[str] = None,
                 batch_size: int = 256) -> None:
        super().__init__()
        built = build_image_dataset(dataset)
        config = dataset if isinstance(dataset, dict) else None
        self.key = dict(extractor='PCAFeatureExtractor',
                        data=dataset_fingerprint(built, config),
                        num_components=num_components)
        arrays = cached_arrays(
            cache_dir, 'pca', self.key,
            lambda: fit_pca(built, num_components, batch_size))
        self.register_buffer('mean', torch.from_numpy(arrays['mean']))
        self.register_buffer('components',
                             torch.from_numpy(arrays['components']))
        self.in_channels, height, width = (int(v) for v in arrays['img_shape'])
        self.img_size = (height, width)
        self.feature_dim = num_components

    def fingerprint(self) -> str:
        """A hash of the fit (images, dataset config, ``num_components``)."""
        return digest(self.key)

    def check_image_shape(self, shape: tuple) -> None:
        """Raise unless ``shape`` (C, H, W) is the shape of the fit."""
        fitted = (self.in_channels, ) + self.img_size
        if tuple(shape) != fitted:
            raise ValueError(
                f'PCAFeatureExtractor was fitted on images of shape {fitted} '
                f'(C, H, W) but got {tuple(shape)}: resize the images before '
                f'the extractor, or fit it (extractor.dataset) on images of '
                f'this size.')

    @torch.no_grad()
    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """Features of a batch.

        Args:
            images (torch.Tensor): N x C x H x W in [0, 255] (uint8 or
                float), of the fitted size.

        Returns:
            torch.Tensor: N x num_components, L2-normalised.
        """
        self.check_image_shape(images.shape[1:])
        x = images.reshape(len(images), -1).to(self.mean) / 255  # N x D
        return F.normalize((x - self.mean) @ self.components.t(), dim=1)
