# Copyright (c) mmmsf contributors. All rights reserved.
"""StratifiedFashionMNIST: disjoint, stratified, seeded splits (tiny IDX)."""
import gzip
import os.path as osp
import struct

import numpy as np
import pytest
from conftest import REPO_ROOT
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmpretrain.registry import DATASETS

from mmmsf.datasets import EmbeddedDigits
from mmmsf.datasets.stratified_fashion_mnist import (DEFAULT_DATA_ROOT,
                                                     IDX_FILES,
                                                     StratifiedFashionMNIST,
                                                     read_idx)

CONFIG = osp.join(REPO_ROOT, 'configs', '_base_', 'datasets',
                  'fashion_mnist_bs128_msf_knn.py')
NUM_CLASSES = 10
PER_CLASS = {'train': 12, 'test': 4}  # 120 training, 40 test images


def _write_idx(path: str, array: np.ndarray) -> None:
    header = struct.pack('>BBBB', 0, 0, 0x08, array.ndim)
    header += struct.pack(f'>{array.ndim}i', *array.shape)
    with gzip.open(path, 'wb') as f:
        f.write(header + array.astype(np.uint8).tobytes())


@pytest.fixture(scope='module')
def root(tmp_path_factory):
    """Tiny Fashion-MNIST: each image stores its set and index in pixels."""
    root = tmp_path_factory.mktemp('fashion_mnist')
    for subset, per_class in PER_CLASS.items():
        num = per_class * NUM_CLASSES
        labels = np.arange(num) % NUM_CLASSES  # interleaved classes
        images = np.zeros((num, 28, 28), np.uint8)
        images[:, 0, 0] = subset == 'test'
        images[:, 0, 1] = np.arange(num)
        images[:, 5:, 5:] = labels[:, None, None] * 20
        for name, array in zip(IDX_FILES[subset], (images, labels)):
            _write_idx(str(root / name), array)
    return str(root)


def _tiny(root, **kwargs):
    """A dataset on the tiny files (unserialized: mmengine's serialization
    runs a full garbage collection per construction)."""
    return StratifiedFashionMNIST(data_root=root,
                                  serialize_data=False,
                                  **kwargs)


def _ids(dataset):
    """(set, index) of every image: unique across both official sets."""
    infos = [dataset.get_data_info(i) for i in range(len(dataset))]
    return {(int(d['img'][0, 0, 0]), int(d['img'][0, 1, 0])) for d in infos}


def _class_counts(dataset):
    labels = [
        dataset.get_data_info(i)['gt_label'] for i in range(len(dataset))
    ]
    return np.bincount(labels, minlength=NUM_CLASSES)


def test_read_idx_round_trip(root):
    labels = read_idx(osp.join(root, IDX_FILES['train'][1]))
    assert labels.shape == (120, ) and labels[:3].tolist() == [0, 1, 2]
    images = read_idx(osp.join(root, IDX_FILES['train'][0]))
    assert images.shape == (120, 28, 28) and images.dtype == np.uint8


def test_splits_are_disjoint_and_cover_the_official_sets(root):
    train = _tiny(root, split='train', val_size=25)
    val = _tiny(root, split='val', val_size=25)
    test = _tiny(root, split='test')
    assert (len(train), len(val), len(test)) == (95, 25, 40)
    assert not _ids(train) & _ids(val)
    assert _ids(train) | _ids(val) == {(0, i) for i in range(120)}
    assert _ids(test) == {(1, i) for i in range(40)}
    # subsets stay inside their split
    small = _tiny(root, split='train', val_size=25, num_samples=33)
    assert _ids(small) <= _ids(train) and not _ids(small) & _ids(val)


@pytest.mark.parametrize('split,val_size,num_samples', [
    ('val', 25, None),
    ('train', 25, 33),
    ('train', 7, None),
    ('test', 25, 17),
])
def test_splits_are_stratified(root, split, val_size, num_samples):
    dataset = _tiny(root,
                    split=split,
                    val_size=val_size,
                    num_samples=num_samples)
    counts = _class_counts(dataset)
    assert counts.max() - counts.min() <= 1
    assert counts.sum() == len(dataset)


def test_splits_are_deterministic_and_follow_the_seed(root):

    def ids(**kwargs):
        return _ids(_tiny(root, val_size=20, **kwargs))

    assert ids(split='val') == ids(split='val')
    assert ids(split='train', num_samples=30) == ids(split='train',
                                                     num_samples=30)
    assert ids(split='val', seed=1) != ids(split='val')
    assert ids(split='train', num_samples=30, seed=1) != ids(split='train',
                                                             num_samples=30)
    # the val carve ignores the subset size; smaller subsets nest
    assert ids(split='train', num_samples=20) < ids(split='train',
                                                    num_samples=30)


def test_unzipped_files_are_read_too(root, tmp_path):
    for name in IDX_FILES['test']:
        with gzip.open(osp.join(root, name)) as f:
            (tmp_path / name[:-len('.gz')]).write_bytes(f.read())
    assert _ids(_tiny(str(tmp_path),
                      split='test')) == _ids(_tiny(root, split='test'))


def test_missing_files_name_the_package(tmp_path):
    with pytest.raises(FileNotFoundError,
                       match=r'dataset-fashion-mnist.*apt-get install'):
        StratifiedFashionMNIST(split='test', data_root=str(tmp_path))


@pytest.mark.parametrize('kwargs,match', [
    (dict(split='all'), 'unknown split'),
    (dict(split='val', val_size=0), 'val_size'),
    (dict(num_samples=0), 'num_samples'),
    (dict(val_size=120), 'no training images'),
    (dict(split='test', num_samples=41), 'exceeds'),
])
def test_bad_arguments_are_refused(root, kwargs, match):
    with pytest.raises(ValueError, match=match):
        _tiny(root, **kwargs)


def test_items_match_embedded_digits(root):
    item = _tiny(root, split='test')[0]
    digit = EmbeddedDigits(source='sklearn',
                           split='test',
                           serialize_data=False)[0]
    assert item.keys() == digit.keys()
    img = item['img']
    assert img.dtype == digit['img'].dtype == np.uint8
    assert img.shape == (28, 28, 3) and digit['img'].shape[2] == 3
    assert (img == img[..., :1]).all()  # gray replicated
    assert type(item['gt_label']) is type(digit['gt_label']) is int
    unlabelled = _tiny(root, split='test', with_label=False)
    assert 'gt_label' not in unlabelled[0]
    assert StratifiedFashionMNIST.METAINFO['classes'][9] == 'Ankle boot'


def test_config_builds_with_digit_views(root):
    cfg = Config.fromfile(CONFIG)
    init_default_scope('mmpretrain')
    tiny = dict(data_root=root, val_size=20)
    train = DATASETS.build(
        dict(cfg.train_dataloader.dataset, num_samples=8, **tiny))
    assert isinstance(train, StratifiedFashionMNIST) and len(train) == 8
    views = train[0]['inputs']
    assert len(views) == 2 and views[0].shape == (3, 28, 28)
    query = DATASETS.build(dict(cfg.knn_query_dataloader.dataset, **tiny))
    assert query.split == 'val' and len(query) == 20
    assert query[0]['inputs'].shape == (3, 28, 28)


@pytest.mark.skipif(not osp.isdir(DEFAULT_DATA_ROOT),
                    reason='dataset-fashion-mnist is not installed')
def test_real_files():
    test = StratifiedFashionMNIST(split='test')
    assert len(test) == 10000
    assert (_class_counts(test) == 1000).all()
    val = StratifiedFashionMNIST(split='val', num_samples=1000)
    assert (_class_counts(val) == 100).all()
    assert val[0]['img'].shape == (28, 28, 3)
