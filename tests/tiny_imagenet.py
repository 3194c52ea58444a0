# Copyright (c) mmmsf contributors. All rights reserved.
"""A few-image folder in ImageNet's on-disk layout, for the tests of the
ImageNet configs and tools (``train/<wnid>/<wnid>_<i>.JPEG``,
``val/<wnid>/...`` and mmpretrain's ``meta/train.txt`` / ``meta/val.txt``
with labels in sorted-wnid order, as the real ``meta`` files)."""
import os
import os.path as osp
from typing import Dict, List, Sequence

import numpy as np
from PIL import Image

# real ImageNet wnids (sorted): labels 0..3 in this folder
WNIDS = ('n01440764', 'n01443537', 'n01484850', 'n01491361')


def make_tiny_imagenet(root: str,
                       num_train: int = 3,
                       num_val: int = 1,
                       wnids: Sequence[str] = WNIDS,
                       size: int = 32) -> Dict[str, List[str]]:
    """Write random JPEGs in ImageNet's layout under ``root``.

    Args:
        root (str): Folder to fill (``data_root`` of the configs).
        num_train (int): Training images per class. Defaults to 3.
        num_val (int): Validation images per class. Defaults to 1.
        wnids (Sequence[str]): Class folders, in label order.
        size (int): Side of the square images. Defaults to 32.

    Returns:
        dict: ``{'train': [...], 'val': [...]}``, the ``meta`` lines
        (``<wnid>/<file> <label>``) of each split.
    """
    rng = np.random.RandomState(0)
    lines = {}
    for split, num in (('train', num_train), ('val', num_val)):
        lines[split] = []
        for label, wnid in enumerate(wnids):
            folder = osp.join(root, split, wnid)
            os.makedirs(folder, exist_ok=True)
            for i in range(num):
                name = f'{wnid}_{i + 1 if split == "train" else 100 + i}.JPEG'
                pixels = rng.randint(0, 256, (size, size, 3), dtype=np.uint8)
                Image.fromarray(pixels).save(osp.join(folder, name))
                lines[split].append(f'{wnid}/{name} {label}')
    meta = osp.join(root, 'meta')
    os.makedirs(meta, exist_ok=True)
    for split, split_lines in lines.items():
        with open(osp.join(meta, f'{split}.txt'), 'w') as f:
            f.write('\n'.join(split_lines) + '\n')
    return lines
