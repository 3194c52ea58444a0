# Copyright (c) mmmsf contributors. All rights reserved.
import os.path as osp
from typing import Optional, Sequence

import mmcv
import numpy as np
import torch
from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmengine.model import is_model_wrapper
from mmpretrain.registry import HOOKS


@HOOKS.register_module()
class GeneratorSampleGridHook(Hook):
    """Write a grid of LMA generator samples every ``interval`` iterations
    and at the end of training.

    Row ``r`` shows conditioning instance ``i_r`` of the training set: its
    real image first, then ``num_samples`` images of the EMA generator
    ``G_ema(z, h_{i_r})``. The instances (evenly spread over the training
    set unless ``indices`` are given) and the noise are fixed for the whole
    run, so successive grids show the same cells as training progresses.
    The noise comes from a generator of its own: writing a grid draws
    nothing from the global RNGs, and a run with the hook trains exactly as
    one without it.

    The grid goes to ``<out_dir>/iter_<N>.png`` and to the visualizer's
    backends (``add_image('lma_samples', ...)``: TensorBoard, W&B, ...).

    The training set must expose ``image(i)`` (C x H x W uint8) and
    ``features`` (N x D), as ``InstanceNeighbourhoodDataset`` (also inside
    ``PerSampleSeededDataset``) does; the model must have ``generate(h,
    z)`` (``ICGAN``).

    Args:
        interval (int): Iterations between grids. Defaults to 500.
        num_rows (int): Conditioning instances (rows). Defaults to 8.
        num_samples (int): Samples per instance (columns after the real
            image). Defaults to 8.
        indices (Sequence[int], optional): Training-set indices of the
            rows. Defaults to None (``num_rows`` evenly spread ones).
        seed (int): Seed of the fixed noise. Defaults to 0.
        out_dir (str, optional): Folder of the PNG files. Defaults to
            ``<work_dir>/samples``.
        channel_order (str): ``'rgb'`` or ``'bgr'`` (images loaded by
            mmcv's ``LoadImageFromFile``). Defaults to ``'rgb'``.
    """

    priority = 'LOW'

    def __init__(self,
                 interval: int = 500,
                 num_rows: int = 8,
                 num_samples: int = 8,
                 indices: Optional[Sequence[int]] = None,
                 seed: int = 0,
                 out_dir: Optional[str] = None,
                 channel_order: str = 'rgb') -> None:
        if interval < 1 or num_rows < 1 or num_samples < 1:
            raise ValueError(
                f'GeneratorSampleGridHook: interval, num_rows and '
                f'num_samples must be >= 1, got {interval}, {num_rows}, '
                f'{num_samples}.')
        if channel_order not in ('rgb', 'bgr'):
            raise ValueError(f"GeneratorSampleGridHook: channel_order must "
                             f"be 'rgb' or 'bgr', got {channel_order!r}.")
        self.interval = interval
        self.num_rows = len(indices) if indices is not None else num_rows
        self.num_samples = num_samples
        self.indices = None if indices is None else [int(i) for i in indices]
        self.seed = seed
        self.out_dir = out_dir
        self.channel_order = channel_order
        self._last_written: Optional[int] = None

    def before_train(self, runner) -> None:
        """Fix the rows (real images, features) and the noise."""
        dataset = runner.train_dataloader.dataset
        if not (hasattr(dataset, 'image') and hasattr(dataset, 'features')):
            raise ValueError(
                f'GeneratorSampleGridHook needs a training set with '
                f'`image(i)` and `features` (InstanceNeighbourhoodDataset); '
                f'got {type(dataset).__name__}.')
        if self.indices is None:
            spread = np.linspace(0, len(dataset) - 1, self.num_rows)
            self.indices = [int(i) for i in spread.round()]
        self._real = torch.stack([dataset.image(i)
                                  for i in self.indices])  # R x C x H x W
        self._features = dataset.features[self.indices].float()  # R x D
        model = self._model(runner)
        noise = torch.Generator().manual_seed(self.seed)
        self._z = torch.randn(self.num_rows * self.num_samples,
                              model.generator.z_dim,
                              generator=noise)  # (R * S) x z_dim
        self.out_dir = self.out_dir or osp.join(runner.work_dir, 'samples')

    @staticmethod
    def _model(runner) -> torch.nn.Module:
        model = runner.model
        return model.module if is_model_wrapper(model) else model

    def after_train_iter(self,
                         runner,
                         batch_idx: int,
                         data_batch=None,
                         outputs: Optional[dict] = None) -> None:
        """Write a grid every ``interval`` iterations."""
        if self.every_n_train_iters(runner, self.interval):
            self.write_grid(runner, runner.iter + 1)

    def after_train(self, runner) -> None:
        """Write the final grid (unless this iteration has one)."""
        if self._last_written != runner.iter:
            self.write_grid(runner, runner.iter)

    def grid(self, runner) -> np.ndarray:
        """The current grid, H' x W' x 3 uint8 in the data's channel order.

        Args:
            runner (Runner): The runner.

        Returns:
            np.ndarray: Rows of [real, sample_1, ..., sample_S], 2-pixel
            gaps.
        """
        model = self._model(runner)
        device = next(model.parameters()).device
        features = self._features.repeat_interleave(self.num_samples, 0)
        fake = model.generate(features.to(device), self._z.to(device)).cpu()
        fake = ((fake + 1) * 127.5).round().clamp(0, 255).to(torch.uint8)
        _, channels, height, width = fake.shape
        cells = torch.cat([
            self._real[:, None],
            fake.view(self.num_rows, self.num_samples, channels, height, width)
        ], 1)  # R x (S + 1) x C x H x W
        if channels == 1:
            cells = cells.expand(-1, -1, 3, -1, -1)
        cells = torch.nn.functional.pad(cells, (1, 1, 1, 1))
        rows, cols, _, cell_h, cell_w = cells.shape
        return cells.permute(0, 3, 1, 4, 2).reshape(rows * cell_h,
                                                    cols * cell_w, 3).numpy()

    def write_grid(self, runner, step: int) -> str:
        """Write the grid to a PNG and to the visualizer's backends.

        Args:
            runner (Runner): The runner.
            step (int): Iterations trained so far (names the file).

        Returns:
            str: Path of the PNG.
        """
        grid = self.grid(runner)
        bgr = grid if self.channel_order == 'bgr' else grid[..., ::-1]
        path = osp.join(self.out_dir, f'iter_{step}.png')
        mmcv.imwrite(np.ascontiguousarray(bgr), path)
        runner.visualizer.add_image('lma_samples',
                                    np.ascontiguousarray(bgr[..., ::-1]),
                                    step=step)
        self._last_written = step
        print_log(f'GeneratorSampleGridHook: wrote {path}', logger='current')
        return path
