# Copyright (c) mmmsf contributors. All rights reserved.
"""GeneratorSampleGridHook: rows of [real, samples...], a PNG and the
visualizer, fixed noise that leaves the global RNG alone."""
from types import SimpleNamespace

import mmcv
import pytest
import torch
import torch.nn.functional as F
from mmpretrain.registry import HOOKS, MODELS


class _Instances:
    """The two attributes the hook reads of InstanceNeighbourhoodDataset."""

    def __init__(self, num=10):
        self.features = F.normalize(torch.randn(num, 6), dim=1)
        self.images = torch.arange(num, dtype=torch.uint8).mul(20).view(
            num, 1, 1, 1).expand(num, 3, 8, 8)

    def __len__(self):
        return len(self.features)

    def image(self, index):
        return self.images[index]


class _Visualizer:

    def __init__(self):
        self.images = []

    def add_image(self, name, image, step):
        self.images.append((name, image, step))


def _runner(tmp_path, dataset):
    model = MODELS.build(
        dict(type='ICGAN',
             generator=dict(type='ICGANGenerator',
                            feature_dim=6,
                            z_dim=4,
                            img_size=8,
                            base_channels=4,
                            embed_dim=4),
             discriminator=dict(type='ProjectionDiscriminator',
                                base_channels=4)))
    return SimpleNamespace(model=model,
                           train_dataloader=SimpleNamespace(dataset=dataset),
                           work_dir=str(tmp_path),
                           visualizer=_Visualizer(),
                           iter=0)


def test_grid_png_and_visualizer(tmp_path):
    runner = _runner(tmp_path, _Instances())
    hook = HOOKS.build(
        dict(type='GeneratorSampleGridHook',
             interval=2,
             num_rows=3,
             num_samples=4))
    hook.before_train(runner)
    assert hook.indices == [0, 4, 9]  # spread over the training set
    rng = torch.get_rng_state()
    hook.after_train_iter(runner, 0)  # iteration 1: no grid
    runner.iter = 1
    hook.after_train_iter(runner, 1)  # iteration 2: a grid
    assert torch.equal(torch.get_rng_state(), rng)  # no global draw

    grid = mmcv.imread(str(tmp_path / 'samples' / 'iter_2.png'))
    assert grid.shape == (3 * 10, 5 * 10, 3)  # 8 px cells, 1 px borders
    # first column: the real instances (uniform gray levels 0, 80, 180)
    for row, level in enumerate((0, 80, 180)):
        cell = grid[row * 10 + 1:row * 10 + 9, 1:9]
        assert (cell == level).all()
    name, image, step = runner.visualizer.images[0]
    assert (name, step) == ('lma_samples', 2) and image.shape == grid.shape

    # the end of training writes a grid unless this iteration has one
    runner.iter = 2
    hook.after_train(runner)
    assert len(runner.visualizer.images) == 1
    runner.iter = 3
    hook.after_train(runner)
    again = mmcv.imread(str(tmp_path / 'samples' / 'iter_3.png'))
    assert (again == grid).all()  # the same noise and weights, same grid


def test_needs_an_instance_dataset(tmp_path):
    runner = _runner(tmp_path, [1, 2, 3])
    hook = HOOKS.build(dict(type='GeneratorSampleGridHook'))
    with pytest.raises(ValueError, match='InstanceNeighbourhoodDataset'):
        hook.before_train(runner)
    with pytest.raises(ValueError, match='channel_order'):
        HOOKS.build(dict(type='GeneratorSampleGridHook', channel_order='x'))
