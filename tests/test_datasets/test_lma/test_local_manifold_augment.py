# Copyright (c) mmmsf contributors. All rights reserved.
import pickle

import numpy as np
import pytest
import torch
from lma_helpers import (images_cfg, neighbourhood_cfg, pca_cfg,
                         save_generator, write_digits)
from mmpretrain.registry import DATASETS, TRANSFORMS
from torch.utils.data import DataLoader

import mmmsf  # noqa: F401


@pytest.fixture
def lma(tmp_path):
    """Digits, their PCA config and a matching generator checkpoint."""
    digits = write_digits(str(tmp_path / 'digits.npy'))
    return dict(digits=digits,
                images=np.load(digits),
                extractor=pca_cfg(digits, tmp_path / 'cache'),
                generator=save_generator(str(tmp_path / 'g.pth')),
                neighbourhood=neighbourhood_cfg(digits, tmp_path / 'cache'),
                tmp_path=tmp_path)


def _build(lma: dict, **kwargs):
    cfg = dict(type='LocalManifoldAugment',
               generator=lma['generator'],
               extractor=lma['extractor'])
    return TRANSFORMS.build(dict(cfg, **kwargs))


def test_p_zero_keeps_and_p_one_replaces_every_image(lma):
    keep, replace = _build(lma, p=0.0), _build(lma, p=1.0)
    for img in lma['images'][:10]:
        assert keep(dict(img=img))['img'] is img
        out = replace(dict(img=img.copy()))['img']
        assert out.shape == img.shape and out.dtype == np.uint8
        assert not np.array_equal(out, img)
    half = _build(lma, p=0.5)
    img = lma['images'][0]
    replaced = sum(half(dict(img=img))['img'] is not img for _ in range(200))
    assert 70 < replaced < 130


def test_real_neighbour_control_swaps_in_a_neighbour(lma):
    control = _build(lma,
                     p=1.0,
                     source='real_neighbour',
                     neighbourhood=dict(type='PerSampleSeededDataset',
                                        dataset=lma['neighbourhood']))
    neighbours = DATASETS.build(lma['neighbourhood']).neighbours
    images = lma['images']
    swapped = 0
    for i in range(20):
        out = control(dict(img=images[i].copy()))['img']
        assert any(np.array_equal(out, images[j]) for j in neighbours[i])
        swapped += not np.array_equal(out, images[i])
    assert swapped > 10
    with pytest.raises(ValueError, match='not one of the training images'):
        control(dict(img=np.zeros_like(images[0])))
    keep = _build(lma,
                  p=0.0,
                  source='real_neighbour',
                  neighbourhood=lma['neighbourhood'])
    img = images[3]
    assert keep(dict(img=img))['img'] is img


@pytest.mark.parametrize('source', ['generator', 'real_neighbour'])
def test_views_are_a_function_of_the_sample_seed(lma, source):
    pipeline = [
        dict(type='LocalManifoldAugment',
             p=0.5,
             generator=lma['generator'],
             extractor=lma['extractor'],
             source=source,
             neighbourhood=lma['neighbourhood'])
    ]
    dataset = DATASETS.build(
        dict(type='PerSampleSeededDataset',
             dataset=dict(images_cfg(lma['digits']), pipeline=pipeline)))
    keys = [(i, epoch, 0) for i in range(6) for epoch in range(4)]
    first = [dataset[key]['img'] for key in keys]
    torch.manual_seed(123)  # the main process's RNG does not matter
    assert all(
        np.array_equal(a, dataset[k]['img']) for a, k in zip(first, keys))
    # another epoch, another draw; some images kept, some replaced
    changed = [
        not np.array_equal(a, lma['images'][k[0]])
        for a, k in zip(first, keys)
    ]
    assert 0 < sum(changed) < len(keys)
    # a forked worker (one thread) loads the same views
    loader = DataLoader(dataset,
                        sampler=keys,
                        batch_size=None,
                        num_workers=1,
                        multiprocessing_context='fork')
    assert all(np.array_equal(a, b['img']) for a, b in zip(first, loader))
    # a pickled copy (a spawned worker) loads its own generator
    copy = pickle.loads(pickle.dumps(dataset))
    assert all(np.array_equal(a, copy[k]['img']) for a, k in zip(first, keys))


def test_bad_settings_fail_when_built_naming_the_setting(lma):
    tmp_path = lma['tmp_path']
    with pytest.raises(ValueError, match='no generator; set `generator`'):
        _build(lma, generator=None)
    with pytest.raises(FileNotFoundError, match='generator=.*does not exist'):
        _build(lma, generator=str(tmp_path / 'missing.pth'))
    corrupt = tmp_path / 'corrupt.pth'  # a truncated checkpoint
    corrupt.write_bytes(open(lma['generator'], 'rb').read()[:500])
    with pytest.raises(ValueError, match='generator=.*cannot be read'):
        _build(lma, generator=str(corrupt))
    with pytest.raises(ValueError,
                       match='16-dim features.*8-dim.*`extractor`'):
        _build(lma,
               generator=save_generator(str(tmp_path / 'wide.pth'),
                                        feature_dim=16))
    with pytest.raises(ValueError, match='fitted on 8x8.*16x16'):
        _build(lma,
               generator=save_generator(str(tmp_path / 'big.pth'),
                                        img_size=16))
    with pytest.raises(ValueError, match='p=1.5'):
        _build(lma, p=1.5)
    with pytest.raises(ValueError, match='`neighbourhood`'):
        _build(lma, source='real_neighbour')
    with pytest.raises(ValueError, match='set `extractor`'):
        _build(lma, extractor=None)


def test_an_image_of_another_size_is_refused(lma):
    lmaug = _build(lma, p=1.0)
    with pytest.raises(ValueError, match=r'makes 8x8x3 .*got 10x10x3'):
        lmaug(dict(img=np.zeros((10, 10, 3), np.uint8)))
    with pytest.raises(ValueError, match='fitted on images of shape'):
        lmaug._extractor(torch.zeros(1, 3, 10, 10))
