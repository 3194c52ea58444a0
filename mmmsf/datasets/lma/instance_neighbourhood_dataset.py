# Copyright (c) mmmsf contributors. All rights reserved.
from typing import Any, Optional, Union

import numpy as np
import torch
from mmpretrain.registry import DATASETS, MODELS
from torch import nn
from torch.utils.data import Dataset

from .cache import (build_image_dataset, cached_arrays, dataset_fingerprint,
                    dataset_image, image_batches)
from .neighbourhood import knn_neighbours


@DATASETS.register_module()
class InstanceNeighbourhoodDataset(Dataset):
    """Training pairs of an instance-conditioned GAN (IC-GAN, LMA).

    Each training image ``i`` is described by the L2-normalised feature
    ``h_i`` of a label-free extractor (:class:`PCAFeatureExtractor` or
    :class:`BackboneFeatureExtractor`) and by its neighbourhood, the ``k``
    training images of largest cosine similarity to it in that space
    (itself first). Item ``i`` is a real pair ``(x_j, h_i)`` with ``x_j``
    drawn uniformly from the neighbourhood of ``i``, the pair IC-GAN's
    discriminator sees as real. The draw uses torch's global RNG, so
    :class:`~mmmsf.datasets.PerSampleSeededDataset` makes it a function of
    (seed, epoch, index).

    The features and neighbourhoods are computed once (exact search with
    :func:`mmmsf.utils.chunked_topk`, or faiss's exact index) and cached
    on disk under a hash of the images, the dataset config, the extractor
    (its config and fit or weights) and ``k``.

    Args:
        dataset (dict | Dataset): The training images, H x W x C uint8
            under ``img`` (e.g. ``dict(type='EmbeddedDigits',
            split='train')``); labels are never read.
        extractor (dict | nn.Module): The feature extractor (a config of
            the ``MODELS`` registry or a built one).
        k (int): Neighbourhood size, the instance included. Defaults to 10.
        cache_dir (str, optional): Folder of the cache. Defaults to
            ``~/.cache/mmmsf/lma`` when None.
        use_faiss (bool): Search with faiss instead of
            :func:`~mmmsf.utils.chunked_topk`. Defaults to False.
        batch_size (int): Images featurised at once. Defaults to 256.
    """

    def __init__(self,
                 dataset: Union[dict, Dataset],
                 extractor: Union[dict, nn.Module],
                 k: int = 10,
                 cache_dir: Optional[str] = None,
                 use_faiss: bool = False,
                 batch_size: int = 256) -> None:
        self.dataset = build_image_dataset(dataset)
        self.extractor = (MODELS.build(extractor) if isinstance(
            extractor, dict) else extractor)
        self.k = k
        config = dataset if isinstance(dataset, dict) else None
        key = dict(data=dataset_fingerprint(self.dataset, config),
                   extractor=self.extractor.fingerprint(),
                   k=k,
                   search='faiss' if use_faiss else 'exact')

        def compute() -> dict:
            features = torch.cat([
                self.extractor(images)
                for images in image_batches(self.dataset, batch_size)
            ])
            neighbours = knn_neighbours(features, k, use_faiss)
            return dict(features=features.numpy(),
                        neighbours=neighbours.numpy())

        arrays = cached_arrays(cache_dir, 'neighbourhood', key, compute)
        self.features = torch.from_numpy(arrays['features'])  # N x D
        self.neighbours = torch.from_numpy(arrays['neighbours'])  # N x k
        self.cache_file = str(arrays['cache_file'])

    def __len__(self) -> int:
        return len(self.neighbours)

    def image(self, index: int) -> torch.Tensor:
        """Training image ``index`` as a C x H x W uint8 tensor."""
        img = np.ascontiguousarray(dataset_image(self.dataset, index))
        return torch.from_numpy(img).permute(2, 0, 1).contiguous()

    def draw_neighbour(self, index: int) -> int:
        """A uniform draw (torch's global RNG) from the neighbourhood."""
        column = int(torch.randint(self.k, ()))
        return int(self.neighbours[index, column])

    def __getitem__(self, index: int) -> dict:
        """A real pair: ``dict(inputs=x_j, feature=h_i, index=i)``.

        Returns:
            dict: ``inputs`` C x H x W uint8 (a neighbour of ``index``),
            ``feature`` (D,) float32 L2-normalised, ``index`` int.
        """
        index = int(index)
        return dict(inputs=self.image(self.draw_neighbour(index)),
                    feature=self.features[index].clone(),
                    index=index)

    def __getattr__(self, name: str) -> Any:
        # metainfo of the wrapped dataset; `dataset` is not set yet while
        # unpickling, and dunders must not be forwarded
        if name == 'dataset' or name.startswith('__'):
            raise AttributeError(name)
        return getattr(self.dataset, name)
