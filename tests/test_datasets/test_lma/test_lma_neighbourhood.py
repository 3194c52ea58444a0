# Copyright (c) mmmsf contributors. All rights reserved.
import os

import numpy as np
import pytest
import torch
from lma_helpers import images_cfg, neighbourhood_cfg, pca_cfg, write_digits
from mmengine.dataset import default_collate
from mmpretrain.registry import DATASETS, MODELS

import mmmsf  # noqa: F401
from mmmsf.datasets.lma import fit_pca
from mmmsf.datasets.lma import instance_neighbourhood_dataset as ind
from mmmsf.datasets.lma import knn_neighbours


@pytest.fixture
def digits(tmp_path):
    return write_digits(str(tmp_path / 'digits.npy'))


def test_pca_fit_is_deterministic_and_normalised(digits, tmp_path):
    dataset = DATASETS.build(images_cfg(digits))
    first, second = fit_pca(dataset, 8, 64), fit_pca(dataset, 8, 50)
    for name in ('mean', 'components', 'img_shape'):
        assert np.array_equal(first[name], second[name])
    # a fresh fit in another cache folder gives the same extractor
    a = MODELS.build(pca_cfg(digits, tmp_path / 'a'))
    b = MODELS.build(pca_cfg(digits, tmp_path / 'b'))
    assert torch.equal(a.components, b.components)
    assert (a.in_channels, a.img_size, a.feature_dim) == (3, (8, 8), 8)
    images = torch.from_numpy(np.load(digits)[:5]).permute(0, 3, 1, 2)
    features = a(images)
    assert features.shape == (5, 8)
    assert torch.allclose(features.norm(dim=1), torch.ones(5))


def test_pca_refuses_another_image_size(digits, tmp_path):
    pca = MODELS.build(pca_cfg(digits, tmp_path))
    with pytest.raises(ValueError,
                       match=r'fitted on images of shape '
                       r'\(3, 8, 8\).*\(3, 10, 10\).*extractor.dataset'):
        pca(torch.zeros(2, 3, 10, 10, dtype=torch.uint8))
    with pytest.raises(ValueError, match='num_components=500'):
        MODELS.build(pca_cfg(digits, tmp_path, num_components=500))


def test_neighbours_put_self_first_even_among_duplicates():
    features = torch.nn.functional.normalize(torch.randn(6, 4), dim=1)
    features[3] = features[1]  # an exact duplicate
    found = knn_neighbours(features, 3)
    assert found[:, 0].tolist() == list(range(6))
    assert found[1, 1] == 3 and found[3, 1] == 1
    with pytest.raises(ValueError, match='k=7'):
        knn_neighbours(features, 7)


def test_faiss_search_finds_the_same_neighbours():
    pytest.importorskip('faiss')
    features = torch.nn.functional.normalize(torch.randn(50, 4), dim=1)
    assert torch.equal(knn_neighbours(features, 5, use_faiss=True),
                       knn_neighbours(features, 5, chunk_size=7))


def test_neighbourhood_cache_is_reused_and_invalidated(digits, tmp_path,
                                                       monkeypatch):
    searches = []

    def counting(*args, **kwargs):
        searches.append(1)
        return knn_neighbours(*args, **kwargs)

    monkeypatch.setattr(ind, 'knn_neighbours', counting)
    cache = tmp_path / 'cache'
    cfg = neighbourhood_cfg(digits, cache)
    first = DATASETS.build(cfg)
    again = DATASETS.build(cfg)
    assert len(searches) == 1 and again.cache_file == first.cache_file
    assert torch.equal(again.neighbours, first.neighbours)

    files = {first.cache_file}
    for changed in (dict(cfg, k=4),
                    neighbourhood_cfg(digits, cache, num_components=6)):
        files.add(DATASETS.build(changed).cache_file)
    write_digits(digits, start=200)  # other images, same config
    files.add(DATASETS.build(cfg).cache_file)
    assert len(files) == 4 and len(searches) == 4
    assert all(os.path.isfile(f) for f in files)


def test_items_follow_the_contract_and_a_seed(digits, tmp_path):
    dataset = DATASETS.build(neighbourhood_cfg(digits, tmp_path, k=5))
    assert len(dataset) == 200 and dataset.neighbours.shape == (200, 5)
    assert torch.equal(dataset.neighbours[:, 0], torch.arange(200))
    item = dataset[7]
    assert set(item) == {'inputs', 'feature', 'index'} and item['index'] == 7
    assert item['inputs'].dtype == torch.uint8
    assert item['inputs'].shape == (3, 8, 8)
    assert item['feature'].dtype == torch.float32
    assert torch.allclose(item['feature'], dataset.features[7])
    assert torch.isclose(item['feature'].norm(), torch.tensor(1.))
    images = torch.from_numpy(np.load(digits)).permute(0, 3, 1, 2)
    drawn = set()
    for _ in range(40):
        x = dataset[7]['inputs']
        drawn |= {
            int(j)
            for j in dataset.neighbours[7] if torch.equal(images[j], x)
        }
        assert any(torch.equal(images[j], x) for j in dataset.neighbours[7])
    assert len(drawn) > 1  # not only the instance itself

    def draws(seed):
        torch.manual_seed(seed)
        return [dataset[i]['inputs'] for i in range(20)]

    assert all(torch.equal(a, b) for a, b in zip(draws(3), draws(3)))
    assert not all(torch.equal(a, b) for a, b in zip(draws(3), draws(4)))
    batch = default_collate([dataset[i] for i in range(4)])
    assert batch['inputs'].shape == (4, 3, 8, 8)
    assert batch['feature'].shape == (4, 8)
    assert batch['index'].tolist() == [0, 1, 2, 3]


def save_backbone(path: str, backbone: dict) -> None:
    """A freshly initialised backbone as an mmpretrain checkpoint."""
    state = MODELS.build(backbone).state_dict()
    torch.save(dict(state_dict={
        'backbone.' + k: v
        for k, v in state.items()
    }), path)


def test_backbone_extractor_loads_strictly_and_keys_the_cache(
        digits, tmp_path):
    backbone = dict(type='ResNet',
                    depth=18,
                    stem_channels=8,
                    base_channels=8,
                    out_indices=(3, ))
    ckpt = str(tmp_path / 'backbone.pth')
    save_backbone(ckpt, backbone)
    cfg = dict(type='BackboneFeatureExtractor',
               checkpoint=ckpt,
               backbone=backbone,
               resize=32)
    extractor = MODELS.build(cfg)
    assert extractor.feature_dim == 64
    dataset = DATASETS.build(
        dict(type='InstanceNeighbourhoodDataset',
             dataset=images_cfg(digits),
             extractor=cfg,
             k=3,
             cache_dir=str(tmp_path)))
    assert dataset.features.shape == (200, 64)
    assert torch.allclose(dataset.features.norm(dim=1), torch.ones(200))

    save_backbone(ckpt, backbone)  # other weights
    assert MODELS.build(cfg).fingerprint() != extractor.fingerprint()
    with pytest.raises(RuntimeError, match='Refusing to load'):
        MODELS.build(dict(cfg, backbone=dict(backbone, depth=34)))
