# Copyright (c) mmmsf contributors. All rights reserved.
import hashlib
import os
from typing import Dict, Optional

import numpy as np
import torch
from mmcv.transforms import BaseTransform
from mmpretrain.registry import DATASETS, MODELS, TRANSFORMS
from torch.utils.data import get_worker_info

from mmmsf.checkpoint.generator import load_generator
from mmmsf.utils import get_rng_state, set_rng_state
from ..lma import InstanceNeighbourhoodDataset
from ..lma.cache import dataset_image

SOURCES = ('generator', 'real_neighbour')


def _image_key(img: np.ndarray) -> str:
    """Hash of an image's shape and bytes (to find it in a dataset)."""
    img = np.ascontiguousarray(img)
    return hashlib.sha1(f'{img.shape}'.encode() + img.tobytes()).hexdigest()


@TRANSFORMS.register_module()
class LocalManifoldAugment(BaseTransform):
    """Replace the image by a sample of its local manifold, with prob. ``p``.

    The view operator of `Local Manifold Augmentation
    <https://arxiv.org/abs/2211.02798>`_: an instance-conditioned generator
    (IC-GAN, ``tools/lma/train_generator.py``) trained to fit the images
    around each training image in a feature space draws a new image
    ``G_ema(z, h(img))``. Place it first in a branch's pipeline, before the
    handcrafted view augmentations, on H x W x C uint8 images of the
    generator's size and channel order.

    ``source='real_neighbour'`` is the control of the same operator: with
    the same ``p`` it swaps in a real training image drawn uniformly from
    the input's cached neighbourhood (itself included), the distribution
    the generator was trained to fit. The input must then be one of the
    neighbourhood's training images.

    The coin, ``z`` and the neighbour draw use torch's global RNG, which
    :class:`~mmmsf.datasets.PerSampleSeededDataset` reseeds per sample, so
    runs stay reproducible and resumable. The generator and the extractor
    are loaded when the transform is built (so that a bad setting fails
    before training) and once more only in processes that did not inherit
    them; each worker process computes with one thread.

    Args:
        p (float): Probability of replacing the image. Defaults to 0.5.
        generator (str, optional): Checkpoint written by
            ``tools/lma/train_generator.py`` (its EMA generator is used).
            Required when ``source='generator'``.
        extractor (dict, optional): Config of the feature extractor the
            generator was trained with (``extractor`` of its
            ``InstanceNeighbourhoodDataset``). Required when
            ``source='generator'``.
        source (str): ``'generator'`` (LMA) or ``'real_neighbour'`` (the
            control). Defaults to ``'generator'``.
        neighbourhood (dict, optional): Config of the
            :class:`~mmmsf.datasets.InstanceNeighbourhoodDataset` (possibly
            wrapped, e.g. the generator config's
            ``train_dataloader.dataset``). Required when
            ``source='real_neighbour'``.
    """

    def __init__(self,
                 p: float = 0.5,
                 generator: Optional[str] = None,
                 extractor: Optional[dict] = None,
                 source: str = 'generator',
                 neighbourhood: Optional[dict] = None) -> None:
        if not 0 <= p <= 1:
            raise ValueError(f'LocalManifoldAugment: p={p} is not a '
                             f'probability; set p in [0, 1].')
        if source not in SOURCES:
            raise ValueError(f'LocalManifoldAugment: unknown source '
                             f'{source!r}; choose one of {SOURCES}.')
        if source == 'generator' and not generator:
            raise ValueError(
                'LocalManifoldAugment: no generator; set `generator` to a '
                'checkpoint of `python tools/lma/train_generator.py CONFIG` '
                "(or source='real_neighbour' for the real-neighbour control).")
        if source == 'generator' and not isinstance(extractor, dict):
            raise ValueError(
                'LocalManifoldAugment: set `extractor` to the extractor '
                'config the generator was trained with (train_dataloader.'
                'dataset...extractor of its config); got '
                f'{type(extractor).__name__}.')
        if source == 'real_neighbour' and not isinstance(neighbourhood, dict):
            raise ValueError(
                "LocalManifoldAugment(source='real_neighbour'): set "
                '`neighbourhood` to the InstanceNeighbourhoodDataset config '
                'the generator was trained on.')
        self.p, self.source = p, source
        self.generator_path, self.extractor_cfg = generator, extractor
        self.neighbourhood_cfg = neighbourhood
        self._pid = None
        self._load()

    def _load(self) -> None:
        """Load (or, in a worker, adopt) the generator or neighbourhood."""
        if self._pid == os.getpid():
            return
        if get_worker_info() is not None:
            torch.set_num_threads(1)
        if self._pid is None:
            # building a module draws its initial weights: keep the
            # sample's seeded RNG streams as they are
            rng_state = get_rng_state()
            if self.source == 'generator':
                self._load_generator()
            else:
                self._load_neighbourhood()
            set_rng_state(rng_state)
        self._pid = os.getpid()

    def _load_generator(self) -> None:
        """Load the generator and extractor and check that they agree."""
        try:
            generator = load_generator(self.generator_path)
        except (OSError, ValueError) as err:
            raise type(err)(f'LocalManifoldAugment(generator='
                            f'{self.generator_path!r}): {err}') from err
        extractor = MODELS.build(self.extractor_cfg).eval()
        if generator.feature_dim != extractor.feature_dim:
            raise ValueError(
                f'LocalManifoldAugment: the generator {self.generator_path} '
                f'is conditioned on {generator.feature_dim}-dim features but '
                f'`extractor` ({self.extractor_cfg.get("type")}) gives '
                f'{extractor.feature_dim}-dim ones; set `extractor` to the '
                f'one the generator was trained with.')
        size = getattr(extractor, 'img_size', None)
        if size is not None and tuple(size) != (generator.img_size, ) * 2:
            raise ValueError(
                f'LocalManifoldAugment: `extractor` was fitted on '
                f'{size[0]}x{size[1]} images but the generator '
                f'{self.generator_path} makes {generator.img_size}x'
                f'{generator.img_size} ones; set `extractor` to the one the '
                f'generator was trained with.')
        self._generator, self._extractor = generator, extractor

    def _load_neighbourhood(self) -> None:
        """Build the cached neighbourhood and index its images."""
        dataset = DATASETS.build(self.neighbourhood_cfg)
        while not isinstance(dataset, InstanceNeighbourhoodDataset):
            if 'dataset' not in vars(dataset):
                raise ValueError(
                    'LocalManifoldAugment: `neighbourhood` builds a '
                    f'{type(dataset).__name__}, not an '
                    'InstanceNeighbourhoodDataset.')
            dataset = dataset.dataset
        self._neighbourhood = dataset
        self._index_of = {
            _image_key(dataset_image(dataset.dataset, i)): i
            for i in range(len(dataset))
        }

    def __getstate__(self) -> dict:
        # a spawned worker loads its own copy instead of unpickling ours
        state = {k: v for k, v in vars(self).items() if k[0] != '_'}
        return dict(state, _pid=None)

    def __setstate__(self, state: dict) -> None:
        vars(self).update(state)

    def _generate(self, img: np.ndarray) -> np.ndarray:
        """``G_ema(z, h(img))`` as an image like ``img`` (H x W x C)."""
        gen = self._generator
        hwc = img if img.ndim == 3 else img[..., None]
        if hwc.shape != (gen.img_size, gen.img_size, gen.out_channels):
            raise ValueError(
                f'LocalManifoldAugment: the generator {self.generator_path} '
                f'makes {gen.img_size}x{gen.img_size}x{gen.out_channels} '
                f'images but got {"x".join(map(str, hwc.shape))} (H x W x C);'
                f' place it where the images have its size (before any '
                f'resize or crop) or train a generator of this size '
                f'(model.generator.img_size / out_channels).')
        x = torch.from_numpy(np.ascontiguousarray(hwc)).permute(2, 0, 1)
        with torch.no_grad():
            h = self._extractor(x[None])  # 1 x D
            z = torch.randn(1, gen.z_dim)
            out = gen(z.to(h), h)[0]  # C x H x W in [-1, 1]
        out = ((out + 1) * 127.5).round().clamp(0, 255).to(torch.uint8)
        return out.permute(1, 2, 0).numpy().reshape(img.shape)

    def _real_neighbour(self, img: np.ndarray) -> np.ndarray:
        """A uniform draw from the cached neighbourhood of ``img``."""
        index = self._index_of.get(_image_key(img))
        if index is None:
            raise ValueError(
                "LocalManifoldAugment(source='real_neighbour'): the image is "
                'not one of the training images of `neighbourhood`; place '
                'the transform first in the pipeline and build the dataset '
                'from the same images.')
        neighbour = self._neighbourhood.draw_neighbour(index)
        return dataset_image(self._neighbourhood.dataset,
                             neighbour).reshape(img.shape)

    def transform(self, results: Dict) -> Dict:
        """Replace ``results['img']`` with probability ``p``.

        Args:
            results (dict): Results with ``img``, H x W x C uint8.

        Returns:
            dict: The results, ``img`` replaced or not.
        """
        self._load()
        if float(torch.rand(())) >= self.p:
            return results
        img = results['img']
        results['img'] = (self._generate(img) if self.source == 'generator'
                          else self._real_neighbour(img))
        return results

    def __repr__(self) -> str:
        what = (f'generator={self.generator_path!r}'
                if self.source == 'generator' else "source='real_neighbour'")
        return f'{type(self).__name__}(p={self.p}, {what})'
