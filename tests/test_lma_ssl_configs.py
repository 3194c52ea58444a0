# Copyright (c) mmmsf contributors. All rights reserved.
"""The SSL configs with LMA views: the p = 0 digits recipes with the view
operator first in the right branch and per-sample seeding, nothing else;
without a trained generator they stop before the first step."""
import functools
import glob
import os.path as osp
import runpy
import sys
from typing import List

import pytest
import torch
from conftest import REPO_ROOT
from lma_helpers import (neighbourhood_cfg, pca_cfg, save_generator,
                         write_digits)
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmengine.runner import Runner

import mmmsf  # noqa: F401

CONFIGS = osp.join(REPO_ROOT, 'configs')
MSF = 'msf/msf_resnet18-w16_1xb128-coslr-30e_digits.py'
MOCO = 'co2/mocov2_resnet18-w16_1xb128-coslr-30e_digits.py'
# LMA config: (its p = 0 twin, source, p)
LMA = {
    'msf/msf_resnet18-w16-lma-p0.5_1xb128-coslr-30e_digits.py':
    (MSF, 'generator', 0.5),
    'msf/msf_resnet18-w16-lma-p0.25_1xb128-coslr-30e_digits.py':
    (MSF, 'generator', 0.25),
    'msf/msf_resnet18-w16-lma-real-p0.5_1xb128-coslr-30e_digits.py':
    (MSF, 'real_neighbour', 0.5),
    'co2/mocov2_resnet18-w16-lma-p0.5_1xb128-coslr-30e_digits.py':
    (MOCO, 'generator', 0.5),
    'co2/mocov2_resnet18-w16-lma-real-p0.5_1xb128-coslr-30e_digits.py':
    (MOCO, 'real_neighbour', 0.5),
}
GENERATOR_CONFIG = 'lma/icgan_digits_cpu.py'


@functools.lru_cache()
def _load(name: str) -> Config:
    """A config under configs/ (shared: do not change it)."""
    return Config.fromfile(osp.join(CONFIGS, name))


def test_every_lma_config_is_listed():
    found = {
        osp.relpath(p, CONFIGS)
        for p in glob.glob(osp.join(CONFIGS, '*', '*-lma*.py'))
    }
    assert found == set(LMA)


@pytest.mark.parametrize('name', sorted(LMA))
def test_lma_config_is_its_twin_with_the_operator_first(name):
    twin_name, source, p = LMA[name]
    cfg, twin = _load(name), _load(twin_name)
    # only the lma_* settings are new, only the training set changes
    new_keys = {k for k in cfg if k not in twin}
    assert new_keys == {k for k in cfg if k.startswith('lma_')}
    assert cfg.train_pipeline == cfg.train_dataloader.dataset.pipeline
    for key in twin:
        if key not in ('train_dataloader', 'train_pipeline'):
            assert cfg[key] == twin[key], key
    loader, twin_loader = cfg.train_dataloader, twin.train_dataloader
    assert loader.sampler == dict(twin_loader.sampler,
                                  type='PerSampleSeededSampler')
    dataset, twin_dataset = loader.dataset, twin_loader.dataset
    assert dataset.type == 'PerSampleSeededDataset'
    assert dataset.dataset == dict(type=twin_dataset.type)
    for key in twin_dataset:
        if key not in ('type', 'pipeline'):
            assert dataset[key] == twin_dataset[key], key
    for key in twin_loader:
        if key not in ('sampler', 'dataset'):
            assert loader[key] == twin_loader[key], key

    op = dict(type='LocalManifoldAugment', p=p)
    if source == 'generator':
        op.update(generator=cfg.lma_generator, extractor=cfg.lma_extractor)
    else:
        op.update(source=source, neighbourhood=cfg.lma_neighbourhood)
    (views, pack), (twin_views, twin_pack) = (dataset.pipeline,
                                              twin_dataset.pipeline)
    assert pack == twin_pack and views.type == twin_views.type
    if views.type == 'MeanShiftViews':
        # w/s: the online branch is the strong one; the target is unchanged
        assert views.view_mode == twin_views.view_mode == 'w/s'
        assert views.weak == twin_views.weak
        assert views.strong == [op] + twin_views.strong
    else:  # MoCo v2: each view draws its own coin and z
        assert views.num_views == twin_views.num_views == 2
        assert views.transforms == [[op] + t for t in twin_views.transforms]


def test_lma_settings_are_those_of_the_generator_config():
    cfg, gen = _load(next(iter(LMA))), _load(GENERATOR_CONFIG)
    # tools/lma/train_generator.py's default work dir, last epoch
    stem = osp.splitext(osp.basename(GENERATOR_CONFIG))[0]
    assert osp.normpath(cfg.lma_generator) == osp.join(
        'work_dirs', stem, f'epoch_{gen.train_cfg.max_epochs}.pth')
    assert gen.train_cfg.max_epochs % gen.default_hooks.checkpoint.interval \
        == 0
    neighbourhood = gen.train_dataloader.dataset.dataset
    assert cfg.lma_neighbourhood == neighbourhood
    assert cfg.lma_extractor == neighbourhood.extractor
    assert cfg.lma_images == dict(type=cfg.dataset_type, split='train')
    assert (gen.model.generator.img_size,
            gen.model.generator.out_channels) == (28, 3)


@pytest.fixture
def tiny(tmp_path):
    """200 8x8x3 digits, their neighbourhoods in a PCA-8 space and a
    generator conditioned on it."""
    digits = write_digits(str(tmp_path / 'digits.npy'))
    return dict(digits=digits,
                extractor=pca_cfg(digits, tmp_path / 'cache'),
                neighbourhood=neighbourhood_cfg(digits, tmp_path / 'cache'),
                generator=save_generator(str(tmp_path / 'g.pth')))


@pytest.mark.parametrize('name, operator', [
    ('msf/msf_resnet18-w16-lma-p0.5_1xb128-coslr-30e_digits.py',
     'pipeline.0.strong.0'),
    ('msf/msf_resnet18-w16-lma-real-p0.5_1xb128-coslr-30e_digits.py',
     'pipeline.0.strong.0'),
    ('co2/mocov2_resnet18-w16-lma-p0.5_1xb128-coslr-30e_digits.py',
     'pipeline.0.transforms.0.0'),
])
def test_lma_runs_draw_views_from_the_sample_seed(tiny, name, operator):
    """The config's sampler and wrapper make each sample's coin, z (or
    neighbour) and crops a function of (seed, epoch, index), with or
    without workers."""
    cfg = Config.fromfile(osp.join(CONFIGS, name))
    source = LMA[name][1]
    settings = dict(p=1.0, generator=tiny['generator'],
                    extractor=tiny['extractor']) if source == 'generator' \
        else dict(p=1.0, neighbourhood=tiny['neighbourhood'])
    cfg.merge_from_dict({
        'train_dataloader.batch_size':
        8,
        'train_dataloader.persistent_workers':
        False,
        'train_dataloader.dataset.dataset':
        dict(type='LMATestNpyImages', path=tiny['digits']),
        f'train_dataloader.dataset.{operator}':
        settings
    })
    init_default_scope('mmpretrain')

    def first_batch(num_workers: int) -> List[torch.Tensor]:
        cfg.train_dataloader.num_workers = num_workers
        loader = Runner.build_dataloader(cfg.train_dataloader.to_dict(),
                                         seed=0)
        return next(iter(loader))['inputs']  # 2 views, each 8 x 3 x 28 x 28

    views = first_batch(0)
    assert [v.shape for v in views] == [(8, 3, 28, 28)] * 2
    assert all(torch.equal(a, b) for a, b in zip(views, first_batch(1)))


def test_lma_without_a_generator_stops_before_training(tmp_path, monkeypatch):
    """Through tools/train.py: one error naming the setting, before step 1."""
    name = 'msf/msf_resnet18-w16-lma-p0.5_1xb128-coslr-30e_digits.py'
    missing = str(tmp_path / 'no_generator.pth')
    work_dir = tmp_path / 'work_dir'
    monkeypatch.setattr(sys, 'argv', [
        'train.py',
        osp.join(CONFIGS, name), '--work-dir',
        str(work_dir), '--cfg-options',
        f'train_dataloader.dataset.pipeline.0.strong.0.generator={missing}',
        'train_dataloader.num_workers=0',
        'train_dataloader.persistent_workers=False'
    ])
    train = runpy.run_path(osp.join(REPO_ROOT, 'tools', 'train.py'),
                           run_name='lma_train')
    with pytest.raises(ValueError) as err:
        train['main']()
    message = str(err.value)
    assert f"LocalManifoldAugment(generator='{missing}')" in message
    assert 'does not exist' in message
    assert 'tools/lma/train_generator.py' in message
    assert not glob.glob(str(work_dir / '*.pth'))


def test_lma_results_rows_match_their_p0_rows():
    """Each LMA row of configs/results/digits_lma.py trains with the
    settings source and options of its config's p = 0 twin in the digits
    table, whose rows it repeats (so those cells are shared)."""
    spec = Config.fromfile(osp.join(CONFIGS, 'results', 'digits_lma.py'))
    digits = Config.fromfile(osp.join(CONFIGS, 'results', 'digits.py'))
    assert spec.seeds == digits.seeds
    assert spec.settings_spec == digits.settings_spec
    # a config's first trained row (later ones are ablations, such as the
    # queue's; random init shares MSF's config)
    base_rows = {
        row['config']: row
        for row in reversed(digits.rows) if not row.get('random')
    }
    configs = {row['config'] for row in spec.rows}
    assert {'configs/' + name for name in LMA} <= configs
    for row in spec.rows:
        name = osp.relpath(row['config'], 'configs')
        twin = base_rows['configs/' +
                         LMA[name][0] if name in LMA else row['config']]
        for key in ('settings_from', 'options'):
            assert row.get(key) == twin.get(key), (row['key'], key)
        if name not in LMA:  # a p = 0 row: the digits table's own
            assert row == twin
