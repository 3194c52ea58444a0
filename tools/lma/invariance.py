# Copyright (c) mmmsf contributors. All rights reserved.
"""Invariance of a pretrained backbone to slant, stroke width and elastic
deformation, the kinds of variation LMA's generated views are meant to
teach (docs/lma.md)::

    python tools/lma/invariance.py CONFIG CHECKPOINT [--out JSON]
    python tools/lma/invariance.py CONFIG random        # baseline

``CONFIG`` is the pretraining config (its ``model`` and its held-out
images, ``knn_query_dataloader``), ``CHECKPOINT`` one of its checkpoints,
whose backbone is loaded strictly, or ``random`` for the randomly
initialised backbone (seeded by the config's ``randomness.seed``). For each
held-out image ``x_i`` and each deformation ``T`` the tool computes, with
the L2-normalised pooled backbone features ``f``,

    s_i  = cos(f(x_i), f(T x_i))                   similarity to itself
    o_i  = mean_{j != i} cos(f(x_i), f(x_j))       similarity to the others
    inv_i = (s_i - o_i) / (1 - o_i)

so that ``inv`` is 1 for a feature that does not change under ``T`` and 0
for one that moves ``x_i`` as far as a random other image is (it can be
negative). Deformations (on H x W x C uint8 images, black padding):

* ``slant``: a horizontal shear ``x' = x +/- shear * (y - H/2)``, its sign
  drawn per image;
* ``thicken``: grey dilation with a ``dilation`` x ``dilation`` square;
* ``elastic``: Simard et al. (ICDAR 2003): a uniform random displacement
  field smoothed by a Gaussian of ``sigma`` pixels and scaled by ``alpha``;
* ``identity``: the image itself (a check: ``inv`` is 1).

Every random draw comes from ``(--seed, image index, deformation)``, so the
numbers depend only on the arguments. They are printed and written to
``--out`` (JSON; default ``work_dirs/invariance/<config>/<checkpoint>.json``).
"""
import argparse
import json
import logging
import os
import os.path as osp
import sys
from typing import Callable, Dict, List, Optional

import numpy as np
import torch
from mmengine.dataset import default_collate
from mmengine.logging import print_log
from mmengine.registry import init_default_scope
from mmengine.runner import set_random_seed
from mmpretrain.registry import DATASETS, MODELS
from mmpretrain.structures import DataSample
from scipy import ndimage
from torch.utils.data import DataLoader

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, ROOT)
from mmmsf.apis import add_common_args, load_config  # noqa: E402
from mmmsf.checkpoint import load_backbone_checkpoint  # noqa: E402
from mmmsf.evaluation import extract_features  # noqa: E402

DEFORMATIONS = ('identity', 'slant', 'thicken', 'elastic')
RANDOM = 'random'


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Invariance of a backbone to slant, thickening and '
        'elastic deformation (JSON)')
    add_common_args(parser)
    parser.add_argument(
        'checkpoint',
        help=f'checkpoint of the pretraining, or "{RANDOM}" for the '
        'randomly initialised backbone')
    parser.add_argument('--prefix',
                        default='backbone.',
                        help='prefix of the backbone keys in the checkpoint')
    parser.add_argument('--deformations',
                        nargs='+',
                        choices=DEFORMATIONS,
                        default=['slant', 'thicken', 'elastic'])
    parser.add_argument('--num-images',
                        type=int,
                        help='the first N held-out images (default: all)')
    parser.add_argument('--shear',
                        type=float,
                        default=0.3,
                        help='slant: horizontal shift per row, in pixels')
    parser.add_argument('--dilation',
                        type=int,
                        default=3,
                        help='thicken: side of the square, in pixels')
    parser.add_argument('--elastic-alpha',
                        type=float,
                        default=34.,
                        help='elastic: scale of the displacement field')
    parser.add_argument('--elastic-sigma',
                        type=float,
                        default=4.,
                        help='elastic: smoothing of the field, in pixels')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--batch-size', type=int, default=256)
    parser.add_argument('--out', help='JSON file to write')
    args = parser.parse_args(argv)
    if args.num_images is not None and args.num_images < 2:
        parser.error('--num-images must be at least 2 (the score compares '
                     'each image with the others)')
    if args.out is None:
        name = 'random_init' if args.checkpoint == RANDOM else \
            osp.splitext(osp.basename(args.checkpoint))[0]
        args.out = osp.join('work_dirs', 'invariance',
                            osp.splitext(osp.basename(args.config))[0],
                            f'{name}.json')
    return args


def _per_channel(img: np.ndarray, fn: Callable) -> np.ndarray:
    """``fn`` applied to each channel of an H x W x C image."""
    out = np.stack([fn(img[..., c]) for c in range(img.shape[2])], axis=2)
    return np.clip(np.round(out), 0, 255).astype(np.uint8)


def slant(img: np.ndarray, shear: float,
          rng: np.random.Generator) -> np.ndarray:
    """Shear rows horizontally about the centre row, sign drawn by ``rng``.

    Args:
        img (np.ndarray): H x W x C uint8.
        shear (float): Horizontal shift per row, in pixels.
        rng (np.random.Generator): Draws the direction.

    Returns:
        np.ndarray: The slanted image, H x W x C uint8.
    """
    s = shear if rng.random() < 0.5 else -shear
    centre = (img.shape[0] - 1) / 2
    # output (y, x) reads input (y, x + s * (y - centre))
    matrix = np.array([[1., 0.], [s, 1.]])
    offset = np.array([0., -s * centre])
    return _per_channel(
        img.astype(np.float64), lambda ch: ndimage.affine_transform(
            ch, matrix, offset, order=1, mode='constant', cval=0.))


def thicken(img: np.ndarray, dilation: int) -> np.ndarray:
    """Grey dilation of each channel by a ``dilation`` square (bright
    strokes on a dark background grow)."""
    return ndimage.grey_dilation(img, size=(dilation, dilation, 1))


def elastic(img: np.ndarray, alpha: float, sigma: float,
            rng: np.random.Generator) -> np.ndarray:
    """Elastic deformation (Simard, Steinkraus and Platt, ICDAR 2003).

    Args:
        img (np.ndarray): H x W x C uint8.
        alpha (float): Scale of the smoothed displacement field.
        sigma (float): Standard deviation of its Gaussian smoothing.
        rng (np.random.Generator): Draws the field.

    Returns:
        np.ndarray: The deformed image, H x W x C uint8.
    """
    h, w = img.shape[:2]
    dy, dx = (ndimage.gaussian_filter(
        rng.uniform(-1, 1, (h, w)), sigma, mode='constant') * alpha
              for _ in range(2))
    rows, cols = np.meshgrid(np.arange(h), np.arange(w), indexing='ij')
    coords = np.stack([rows + dy, cols + dx])  # 2 x H x W
    return _per_channel(
        img.astype(np.float64), lambda ch: ndimage.map_coordinates(
            ch, coords, order=1, mode='constant', cval=0.))


def deform(img: np.ndarray, name: str, index: int,
           args: argparse.Namespace) -> np.ndarray:
    """Deformation ``name`` of held-out image ``index``, seeded by
    ``(args.seed, index, name)``."""
    rng = np.random.default_rng([args.seed, index, DEFORMATIONS.index(name)])
    if name == 'slant':
        return slant(img, args.shear, rng)
    if name == 'thicken':
        return thicken(img, args.dilation)
    if name == 'elastic':
        return elastic(img, args.elastic_alpha, args.elastic_sigma, rng)
    return img


def held_out_images(cfg, num_images: Optional[int]) -> List[np.ndarray]:
    """H x W x C uint8 images of ``knn_query_dataloader``'s dataset, read
    through its pipeline without ``PackInputs``."""
    if 'knn_query_dataloader' not in cfg:
        raise KeyError(f'{cfg.filename} has no knn_query_dataloader (the '
                       f'held-out images)')
    dataset_cfg = cfg.knn_query_dataloader.dataset.copy()
    dataset_cfg.pipeline = [
        t for t in dataset_cfg.get('pipeline', []) if t['type'] != 'PackInputs'
    ]
    dataset = DATASETS.build(dataset_cfg)
    num = len(dataset) if num_images is None else min(num_images, len(dataset))
    if num < 2:
        raise ValueError(f'the held-out set has {len(dataset)} image(s); '
                         f'the score needs at least 2')
    images = [np.asarray(dataset[i]['img']) for i in range(num)]
    return [img if img.ndim == 3 else img[..., None] for img in images]


def features(model: torch.nn.Module, images: List[np.ndarray],
             batch_size: int) -> torch.Tensor:
    """L2-normalised pooled backbone features, N x C."""
    items = [
        dict(inputs=torch.from_numpy(np.ascontiguousarray(img)).permute(
            2, 0, 1),
             data_samples=DataSample()) for img in images
    ]
    loader = DataLoader(items,
                        batch_size=batch_size,
                        collate_fn=default_collate)
    return extract_features(model, loader)[0]


def invariance_scores(feats: torch.Tensor,
                      deformed: torch.Tensor) -> Dict[str, torch.Tensor]:
    """Per-image similarity to itself, to the others and invariance.

    Args:
        feats (torch.Tensor): N x C L2-normalised features of the images.
        deformed (torch.Tensor): N x C those of their deformed copies.

    Returns:
        dict[str, torch.Tensor]: ``self``, ``others`` and ``invariance``,
        each of N values.
    """
    num = len(feats)
    sims = feats @ feats.t()  # N x N
    others = (sims.sum(1) - sims.diagonal()) / (num - 1)
    own = (feats * deformed).sum(1)
    invariance = (own - others) / (1 - others).clamp_min(1e-12)
    return dict(self=own, others=others, invariance=invariance)


def build_model(cfg, args: argparse.Namespace) -> torch.nn.Module:
    """The config's model with the checkpoint's backbone (strict)."""
    init_default_scope(cfg.get('default_scope', 'mmpretrain'))
    set_random_seed(cfg.get('randomness', {}).get('seed') or 0)
    model = MODELS.build(cfg.model)
    model.init_weights()
    if args.checkpoint == RANDOM:
        print_log(
            'invariance: NO checkpoint is loaded, the backbone is RANDOMLY '
            'initialised (a baseline).',
            logger='current',
            level=logging.WARNING)
    else:
        load_backbone_checkpoint(model.backbone, args.checkpoint, args.prefix)
    return model.eval()


def measure(args: argparse.Namespace) -> dict:
    """The JSON result of :func:`main`."""
    cfg = load_config(args)
    model = build_model(cfg, args)
    images = held_out_images(cfg, args.num_images)
    feats = features(model, images, args.batch_size)
    others = invariance_scores(feats, feats)['others']
    result = dict(
        config=args.config,
        checkpoint=None if args.checkpoint == RANDOM else args.checkpoint,
        random_init=args.checkpoint == RANDOM,
        prefix=None if args.checkpoint == RANDOM else args.prefix,
        num_images=len(images),
        seed=args.seed,
        settings=dict(shear=args.shear,
                      dilation=args.dilation,
                      elastic_alpha=args.elastic_alpha,
                      elastic_sigma=args.elastic_sigma),
        similarity_others=float(others.mean()),
        deformations={})
    for name in args.deformations:
        copies = [deform(img, name, i, args) for i, img in enumerate(images)]
        scores = invariance_scores(feats,
                                   features(model, copies, args.batch_size))
        inv, own = scores['invariance'].double(), scores['self']
        result['deformations'][name] = dict(invariance=float(inv.mean()),
                                            invariance_std=float(inv.std()),
                                            similarity_self=float(own.mean()))
    return result


def main(argv: Optional[List[str]] = None) -> dict:
    args = parse_args(argv)
    result = measure(args)
    for name, row in result['deformations'].items():
        print_log(
            f'invariance to {name}: {row["invariance"]:.4f} '
            f'(± {row["invariance_std"]:.4f} over images; similarity to '
            f'the deformed copy {row["similarity_self"]:.4f}, to others '
            f'{result["similarity_others"]:.4f})',
            logger='current')
    os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
    with open(args.out, 'w') as f:
        json.dump(result, f, indent=2)
    print_log(f'invariance: wrote {args.out}', logger='current')
    return result


if __name__ == '__main__':
    main()
