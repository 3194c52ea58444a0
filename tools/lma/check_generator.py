# Copyright (c) mmmsf contributors. All rights reserved.
"""The quality gate of an LMA generator: are its views of an instance as
label-consistent as real neighbours of it, diverse, new and realistic?

Labels are read here only (never to train the generator or to choose
neighbourhoods)::

    python tools/lma/check_generator.py CONFIG CHECKPOINT [--gate 0.9]
        [--out JSON] [--num-instances 500] [--samples 8]

``CONFIG`` is the generator's training config (its ``train_dataloader``
holds the ``InstanceNeighbourhoodDataset``), ``CHECKPOINT`` one of its
checkpoints. For ``--num-instances`` training images ``i`` it draws
``--samples`` views ``G_ema(z, h_i)`` and as many real neighbours of ``i``
(the control) and reports, in a fixed feature space (a label-free PCA of
the training split's pixels):

* label consistency: how often a 1-NN classifier on the real training
  images gives a view the label of ``i``, for generated views and for the
  real-neighbour control;
* diversity: mean pairwise distance of the views of one instance, against
  that of its real neighbourhood;
* memorisation: RMS pixel distance of each view to its nearest training
  image, against that of real test images; ``near_copy_rate`` is the share
  of views closer than the 5th percentile of the test images' distances;
* Fréchet distance of the views to the training images, with that of the
  test images as its floor.

The numbers are printed and written to ``--out`` (JSON). With ``--gate R``
the tool exits with status 1 unless the generated consistency is at least
``R`` times the control's.
"""
import argparse
import json
import os.path as osp
import sys
from typing import Any, Optional, Tuple

import numpy as np
import torch
from mmengine.config import Config, DictAction
from mmpretrain.registry import DATASETS, MODELS

sys.path.insert(0,
                osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
import mmmsf  # noqa: E402,F401
from mmmsf.checkpoint import load_generator  # noqa: E402
from mmmsf.datasets import InstanceNeighbourhoodDataset  # noqa: E402
from mmmsf.datasets.lma.cache import image_batches  # noqa: E402
from mmmsf.utils.chunked_topk import chunked_topk  # noqa: E402


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Quality gate of an LMA generator (JSON)')
    parser.add_argument('config', help="the generator's training config")
    parser.add_argument('checkpoint', help='a checkpoint of that training')
    parser.add_argument('--out',
                        help='JSON file to write (default: '
                        'check_generator.json beside the checkpoint)')
    parser.add_argument('--num-instances', type=int, default=500)
    parser.add_argument('--samples',
                        type=int,
                        default=8,
                        help='views per instance')
    parser.add_argument('--test-split',
                        default='test',
                        help='`split` of the held-out images (FD floor, '
                        'memorisation)')
    parser.add_argument('--pca-components',
                        type=int,
                        default=64,
                        help='width of the fixed evaluation space')
    parser.add_argument('--gate',
                        type=float,
                        help='fail unless generated / real-neighbour label '
                        'consistency >= this ratio (e.g. 0.9)')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    args = parser.parse_args(argv)
    if args.samples < 2 or args.num_instances < 1:
        parser.error('--samples must be at least 2 (diversity compares '
                     'views of one instance) and --num-instances at least 1')
    return args


def neighbourhood_config(cfg: Config) -> dict:
    """The ``InstanceNeighbourhoodDataset`` in ``train_dataloader``."""
    dataset = cfg.train_dataloader.dataset
    while dataset.get('type') != 'InstanceNeighbourhoodDataset':
        if 'dataset' not in dataset:
            raise ValueError('the config trains on no '
                             'InstanceNeighbourhoodDataset; pass the '
                             "generator's training config.")
        dataset = dataset['dataset']
    return dataset


def frechet_distance(a: np.ndarray, b: np.ndarray) -> float:
    """Fréchet distance of two Gaussians fitted to N x D features."""
    mu_a, mu_b = a.mean(0), b.mean(0)
    cov_a, cov_b = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    vals, vecs = np.linalg.eigh(cov_a)
    root_a = (vecs * np.sqrt(vals.clip(min=0))) @ vecs.T
    # tr sqrt(cov_a cov_b) = tr sqrt(root_a cov_b root_a), a PSD matrix
    cross = np.sqrt(np.linalg.eigvalsh(root_a @ cov_b @ root_a).clip(min=0))
    return float(((mu_a - mu_b)**2).sum() + np.trace(cov_a) + np.trace(cov_b) -
                 2 * cross.sum())


def nearest_rms(query: torch.Tensor, keys: torch.Tensor) -> torch.Tensor:
    """RMS pixel distance (images in [0, 1]) of each query image to its
    nearest key image; N x C x H x W uint8 inputs."""
    q = query.flatten(1).float() / 255
    k = keys.flatten(1).float() / 255
    dist = torch.cat([torch.cdist(c, k).min(1)[0] for c in q.split(512)])
    return dist / q.shape[1]**0.5


def mean_pairwise(features: torch.Tensor) -> torch.Tensor:
    """Mean distance between the views of each instance; M x S x D."""
    num = features.shape[1]
    dist = torch.cdist(features, features)  # M x S x S
    return dist.sum((1, 2)) / (num * (num - 1))


def views(nb: InstanceNeighbourhoodDataset, generator: torch.nn.Module,
          instances: torch.Tensor, samples: int,
          rng: torch.Generator) -> Tuple[torch.Tensor, torch.Tensor]:
    """Generated and real-neighbour views, M x S x C x H x W uint8 each."""
    h = nb.features[instances].repeat_interleave(samples, 0)  # MS x D
    z = torch.randn(len(h), generator.z_dim, generator=rng)
    with torch.no_grad():
        fake = torch.cat(
            [generator(zc, hc) for zc, hc in zip(z.split(256), h.split(256))])
    fake = ((fake + 1) * 127.5).round().clamp(0, 255).to(torch.uint8)
    draws = torch.randint(nb.k, (len(instances), samples), generator=rng)
    real = nb.neighbours[instances].gather(1, draws)  # M x S
    real = torch.stack([nb.image(int(j)) for j in real.flatten()])
    return (fake.view(len(instances), samples, *fake.shape[1:]),
            real.view(len(instances), samples, *real.shape[1:]))


def check(args: argparse.Namespace) -> dict:
    """Compute the gate's numbers (see the module's docstring)."""
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    nb_cfg = neighbourhood_config(cfg)
    nb = DATASETS.build(nb_cfg)
    generator = load_generator(args.checkpoint)
    if generator.feature_dim != nb.features.shape[1]:
        raise ValueError(
            f'{args.checkpoint} is conditioned on {generator.feature_dim}-'
            f'dim features but the config\'s extractor gives '
            f'{nb.features.shape[1]}-dim ones: pass its training config.')
    labels = torch.tensor([
        nb.dataset.get_data_info(i).get('gt_label', -1) for i in range(len(nb))
    ])
    if (labels < 0).any():
        raise ValueError('the training images have no `gt_label`: the '
                         'gate needs a labelled dataset.')
    try:
        test = DATASETS.build(dict(nb_cfg['dataset'], split=args.test_split))
    except TypeError as err:
        raise ValueError(f'the held-out images are the training images\' '
                         f'dataset with split={args.test_split!r}, which '
                         f'it does not take: {err}') from err

    space = MODELS.build(
        dict(type='PCAFeatureExtractor',
             dataset=nb_cfg['dataset'],
             num_components=args.pca_components,
             cache_dir=nb_cfg.get('cache_dir')))
    train_images = torch.cat(list(image_batches(nb.dataset)))
    test_images = torch.cat(list(image_batches(test)))
    train_feats, test_feats = space(train_images), space(test_images)

    rng = torch.Generator().manual_seed(args.seed)
    num = min(args.num_instances, len(nb))
    instances = torch.randperm(len(nb), generator=rng)[:num]
    fake, real = views(nb, generator, instances, args.samples, rng)
    fake_feats = space(fake.flatten(0, 1)).view(num, args.samples, -1)
    real_feats = space(real.flatten(0, 1)).view(num, args.samples, -1)

    def consistency(feats: torch.Tensor) -> float:
        nearest = chunked_topk(feats.flatten(0, 1), train_feats, 1)[1]
        predicted = labels[nearest[:, 0]].view(num, -1)
        return (predicted == labels[instances, None]).float().mean().item()

    # the spread of each real neighbourhood, all k members
    hood = train_feats[nb.neighbours[instances]]  # M x k x D
    fake_rms = nearest_rms(fake.flatten(0, 1), train_images)
    test_rms = nearest_rms(test_images, train_images)
    copy_threshold = test_rms.quantile(0.05).item()
    count = min(len(test_feats), len(fake_feats.flatten(0, 1)))
    order = torch.randperm(num * args.samples, generator=rng)[:count]
    return dict(
        config=args.config,
        checkpoint=args.checkpoint,
        num_instances=num,
        samples_per_instance=args.samples,
        k=nb.k,
        seed=args.seed,
        feature_space=f'PCA-{args.pca_components} of the training pixels',
        label_consistency=ratio_of(consistency(fake_feats),
                                   consistency(real_feats)),
        diversity=ratio_of(
            mean_pairwise(fake_feats).mean().item(),
            mean_pairwise(hood).mean().item() if nb.k > 1 else 0.0),
        memorisation=dict(
            generated_nearest_train_rms=fake_rms.mean().item(),
            test_nearest_train_rms=test_rms.mean().item(),
            near_copy_threshold=copy_threshold,
            near_copy_rate=(fake_rms < copy_threshold).float().mean().item()),
        frechet=dict(generated_vs_train=frechet_distance(
            fake_feats.flatten(0, 1)[order].numpy(), train_feats.numpy()),
                     test_vs_train=frechet_distance(test_feats[:count].numpy(),
                                                    train_feats.numpy()),
                     num_samples=count))


def ratio_of(generated: float, real: float) -> dict:
    """``generated``, ``real_neighbour`` and their ratio."""
    return dict(generated=generated,
                real_neighbour=real,
                ratio=generated / real if real else None)


def rounded(value: Any, digits: int = 4) -> Any:
    """``value`` with its floats rounded, recursively."""
    if isinstance(value, float):
        return round(value, digits)
    if isinstance(value, dict):
        return {k: rounded(v, digits) for k, v in value.items()}
    return value


def main(argv: Optional[list] = None) -> int:
    args = parse_args(argv)
    result = check(args)
    consistency = result['label_consistency']
    passed = None
    if args.gate is not None:
        passed = (consistency['ratio'] or 0) >= args.gate
    result['gate'] = dict(threshold=args.gate, passed=passed)
    out = args.out or osp.join(osp.dirname(osp.abspath(args.checkpoint)),
                               'check_generator.json')
    text = json.dumps(rounded(result), indent=2)
    with open(out, 'w') as f:
        f.write(text + '\n')
    print(text)
    print(f'written to {out}')
    if passed is False:
        print(
            f'GATE FAILED: generated views keep the instance\'s label '
            f'{consistency["generated"]:.3f} of the time, '
            f'{consistency["ratio"]:.2f} x the real-neighbour control\'s '
            f'{consistency["real_neighbour"]:.3f} (--gate {args.gate}); '
            f'train the generator longer or larger before using it for '
            f'LocalManifoldAugment.',
            file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
