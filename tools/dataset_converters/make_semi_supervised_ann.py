# Copyright (c) mmmsf contributors. All rights reserved.
"""Write the ImageNet ``ann_file`` of a 1% / 10% label subset.

The MSF paper's semi-supervised table (T2) trains a linear layer on frozen
features with 1% or 10% of the ImageNet labels, using the standard subsets
of SimCLR: the image lists ``1percent.txt`` and ``10percent.txt`` (one file
name per line, e.g. ``n01558993_4750.JPEG``). This tool turns such a list
into an annotation file in the format of mmpretrain's ``meta/train.txt``
(``<wnid>/<file> <label>``, relative to ``train/``), with labels in the
standard ImageNet class order: that of ``DATA_ROOT/meta/train.txt`` if it
exists, else the sorted class folders of ``DATA_ROOT/train`` (the order of
torchvision's ``ImageFolder`` and of the official MSF code)::

    python tools/dataset_converters/make_semi_supervised_ann.py \\
        data/imagenet data/imagenet/meta/train_1pct.txt \\
        --image-list 1percent.txt

Every listed image must exist under ``train/<wnid>/`` and every wnid must
be a known class; otherwise the tool stops with one error naming the bad
lines and writes nothing.

Without ``--image-list`` it writes a deterministic class-balanced subset
(``--percent`` of the training set, the same number of images from every
class, drawn with ``--seed``). That subset is NOT SimCLR's standard split:
numbers measured on it are not comparable with the paper's table.
"""
import argparse
import os
import os.path as osp
import sys
from collections import Counter, OrderedDict
from typing import Dict, List, Tuple

import numpy as np

# mmpretrain's ImageNet.IMG_EXTENSIONS (the class folders' images)
IMG_EXTENSIONS = ('.jpg', '.jpeg', '.png', '.ppm', '.bmp', '.pgm', '.tif')
# what an error message lists of each kind of bad line
MAX_SHOWN = 5


def parse_args():
    parser = argparse.ArgumentParser(
        description=__doc__.split('\n')[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__.split('\n', 2)[2])
    parser.add_argument('data_root',
                        help='ImageNet root with train/<wnid>/ folders')
    parser.add_argument('out', help='annotation file to write')
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument('--image-list',
                       help="SimCLR's 1percent.txt / 10percent.txt")
    group.add_argument(
        '--percent',
        type=float,
        help='without a list: a class-balanced subset of this percentage '
        '(NOT the standard split)')
    parser.add_argument('--seed',
                        type=int,
                        default=0,
                        help='seed of the class-balanced subset')
    return parser, parser.parse_args()


def class_order(data_root: str) -> Dict[str, int]:
    """wnid -> label in the standard ImageNet order.

    Args:
        data_root (str): The ImageNet root.

    Returns:
        dict[str, int]: The labels of ``meta/train.txt`` if it exists,
        else the index of each class folder of ``train/`` in sorted order.
    """
    meta = osp.join(data_root, 'meta', 'train.txt')
    if osp.isfile(meta):
        labels: Dict[str, int] = {}
        for path, label in read_meta(meta):
            wnid = path.split('/')[0]
            if labels.setdefault(wnid, label) != label:
                raise ValueError(f'{meta} gives class {wnid} two labels, '
                                 f'{labels[wnid]} and {label}.')
        return labels
    train = osp.join(data_root, 'train')
    if not osp.isdir(train):
        raise FileNotFoundError(
            f'{data_root} has neither meta/train.txt nor a train/ folder: '
            f'not an ImageNet root.')
    wnids = sorted(d for d in os.listdir(train)
                   if osp.isdir(osp.join(train, d)))
    if not wnids:
        raise FileNotFoundError(f'{train} has no class folders.')
    return {wnid: label for label, wnid in enumerate(wnids)}


def read_meta(path: str) -> List[Tuple[str, int]]:
    """The ``(path, label)`` pairs of an mmpretrain annotation file."""
    pairs = []
    with open(path) as f:
        for num, line in enumerate(f, 1):
            if not line.strip():
                continue
            parts = line.split()
            if len(parts) != 2 or not parts[1].isdigit():
                raise ValueError(f'{path}:{num}: expected "<wnid>/<file> '
                                 f'<label>", got {line.strip()!r}.')
            pairs.append((parts[0], int(parts[1])))
    return pairs


def _listing(items: List[str]) -> str:
    shown = ', '.join(items[:MAX_SHOWN])
    more = len(items) - MAX_SHOWN
    return shown + (f' ... (and {more} more)' if more > 0 else '')


def from_image_list(data_root: str, image_list: str,
                    labels: Dict[str, int]) -> List[Tuple[str, int]]:
    """Annotation lines of the images named in a SimCLR subset list.

    Args:
        data_root (str): The ImageNet root.
        image_list (str): Path of ``1percent.txt`` / ``10percent.txt``.
        labels (dict[str, int]): wnid -> label (:func:`class_order`).

    Returns:
        list[tuple[str, int]]: ``('<wnid>/<file>', label)`` in list order.

    Raises:
        ValueError: Naming the malformed, duplicated, unknown-class and
            missing entries, all in one message.
    """
    with open(image_list) as f:
        names = [line.strip() for line in f if line.strip()]
    if not names:
        raise ValueError(f'{image_list} lists no image.')
    bad: Dict[str, List[str]] = OrderedDict(
        (kind, [])
        for kind in ('malformed (expected <wnid>_<n>.JPEG)', 'listed twice',
                     'unknown wnid', 'missing under train/<wnid>/'))
    kinds = list(bad)
    pairs = []
    for name, count in Counter(names).items():
        wnid = name.split('_')[0]
        if '/' in name or '_' not in name or not wnid:
            bad[kinds[0]].append(name)
            continue
        if count > 1:
            bad[kinds[1]].append(name)
        if wnid not in labels:
            bad[kinds[2]].append(name)
        elif not osp.isfile(osp.join(data_root, 'train', wnid, name)):
            bad[kinds[3]].append(name)
        else:
            pairs.append((f'{wnid}/{name}', labels[wnid]))
    problems = [
        f'{len(names)} {kind}: {_listing(names)}'
        for kind, names in bad.items() if names
    ]
    if problems:
        raise ValueError(f'{image_list} does not match {data_root}: ' +
                         '; '.join(problems) + '. Nothing was written.')
    return pairs


def training_images(data_root: str, labels: Dict[str,
                                                 int]) -> Dict[str, List[str]]:
    """wnid -> sorted file names of the training set (from
    ``meta/train.txt`` if it exists, else from the class folders)."""
    images: Dict[str, List[str]] = {wnid: [] for wnid in labels}
    meta = osp.join(data_root, 'meta', 'train.txt')
    if osp.isfile(meta):
        for path, _ in read_meta(meta):
            wnid, _, name = path.partition('/')
            images[wnid].append(name)
    else:
        for wnid in labels:
            folder = osp.join(data_root, 'train', wnid)
            images[wnid] = [
                name for name in os.listdir(folder)
                if name.lower().endswith(IMG_EXTENSIONS)
            ]
    return {wnid: sorted(names) for wnid, names in images.items()}


def balanced_subset(images: Dict[str, List[str]], labels: Dict[str, int],
                    percent: float, seed: int) -> List[Tuple[str, int]]:
    """A class-balanced subset with ``percent`` of the images.

    Every class gives ``round(total * percent / 100 / num_classes)``
    images (all of its images if it has fewer), drawn without replacement
    with ``numpy.random.RandomState(seed)`` from its sorted file names, so
    the subset depends only on the file names, ``percent`` and ``seed``.

    Args:
        images (dict[str, list[str]]): wnid -> file names.
        labels (dict[str, int]): wnid -> label.
        percent (float): Share of the training set, in (0, 100].
        seed (int): Seed of the draw.

    Returns:
        list[tuple[str, int]]: ``('<wnid>/<file>', label)`` by label, then
        file name.
    """
    if not 0 < percent <= 100:
        raise ValueError(f'--percent must be in (0, 100], got {percent}.')
    total = sum(len(names) for names in images.values())
    per_class = max(1, round(total * percent / 100 / len(labels)))
    rng = np.random.RandomState(seed)
    pairs = []
    for wnid in sorted(labels, key=labels.get):
        names = images[wnid]
        take = min(per_class, len(names))
        chosen = sorted(rng.choice(len(names), take, replace=False))
        pairs += [(f'{wnid}/{names[i]}', labels[wnid]) for i in chosen]
    return pairs


def main():
    parser, args = parse_args()
    try:
        labels = class_order(args.data_root)
        if args.image_list:
            pairs = from_image_list(args.data_root, args.image_list, labels)
        else:
            pairs = balanced_subset(training_images(args.data_root, labels),
                                    labels, args.percent, args.seed)
    except (OSError, ValueError) as error:
        parser.error(str(error))  # one line, exit status 2
    pairs.sort(key=lambda pair: (pair[1], pair[0]))
    os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
    with open(args.out, 'w') as f:
        f.writelines(f'{path} {label}\n' for path, label in pairs)
    counts = Counter(label for _, label in pairs)
    print(f'wrote {args.out}: {len(pairs)} images of {len(counts)} of '
          f'{len(labels)} classes ({min(counts.values())}-'
          f'{max(counts.values())} per class)')
    if not args.image_list:
        print(
            f'NOTE: a class-balanced {args.percent:g}% subset (seed '
            f'{args.seed}), NOT the standard SimCLR split: results are not '
            f'comparable with published 1%/10% numbers.',
            file=sys.stderr)


if __name__ == '__main__':
    main()
