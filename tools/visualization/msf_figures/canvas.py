# Copyright (c) mmmsf contributors. All rights reserved.
"""Figures of an exact pixel size, saved as PNG, and dataset images.

Figures are mmpretrain's :func:`~mmpretrain.visualization.create_figure`
(a matplotlib ``Figure`` on an Agg canvas, outside pyplot's global state)
and are rendered with mmengine's ``img_from_canvas``, as
:class:`~mmpretrain.visualization.UniversalVisualizer` does.
"""
import os
import os.path as osp
from typing import Tuple

import mmcv
import numpy as np
from mmengine.dataset import BaseDataset
from mmengine.visualization.utils import img_from_canvas
from mmpretrain.visualization import create_figure

# A power of two, so that pixel sizes divided by it and multiplied back are
# exact in floating point: the PNG is exactly the size asked for.
DPI = 128


def new_figure(width: int, height: int):
    """A matplotlib figure of ``width`` x ``height`` pixels.

    Args:
        width (int): Width in pixels.
        height (int): Height in pixels.

    Returns:
        matplotlib.figure.Figure: The figure (white background).
    """
    if width < 1 or height < 1:
        raise ValueError(f'figure size must be positive, got {width} x '
                         f'{height} pixels.')
    return create_figure(figsize=(width / DPI, height / DPI),
                         dpi=DPI,
                         margin=True,
                         facecolor='white')


def add_axes_px(figure, left: float, top: float, width: float, height: float):
    """Add axes placed in pixels from the figure's top-left corner."""
    fig_w, fig_h = figure.bbox.width, figure.bbox.height
    return figure.add_axes([
        left / fig_w, 1 - (top + height) / fig_h, width / fig_w, height / fig_h
    ])


def save_figure(figure, out_file: str) -> Tuple[int, int]:
    """Render a figure and write it as an image (PNG by the extension).

    Args:
        figure (matplotlib.figure.Figure): The figure.
        out_file (str): Output path; its folder is created.

    Returns:
        tuple[int]: ``(height, width)`` of the written image in pixels.
    """
    image = img_from_canvas(figure.canvas)  # H x W x 3 RGB
    if osp.dirname(out_file):
        os.makedirs(osp.dirname(out_file), exist_ok=True)
    if not mmcv.imwrite(image[..., ::-1], out_file):
        raise OSError(f'could not write {out_file}')
    return image.shape[:2]


def dataset_image(dataset: BaseDataset, index: int) -> np.ndarray:
    """The raw image of a dataset sample, RGB, for display.

    Args:
        dataset (BaseDataset): A dataset whose samples carry ``img`` (an
            array, BGR like mmcv's loaders, e.g. ``EmbeddedDigits``) or
            ``img_path``.
        index (int): Sample index.

    Returns:
        np.ndarray: H x W x 3 uint8 RGB image.
    """
    info = dataset.get_data_info(int(index))
    if info.get('img') is not None:
        image = np.asarray(info['img'])
    elif info.get('img_path') is not None:
        image = mmcv.imread(info['img_path'])
    else:
        raise KeyError(f'sample {index} of {type(dataset).__name__} has '
                       f'neither "img" nor "img_path" to display.')
    if image.ndim == 2:
        image = np.repeat(image[..., None], 3, axis=2)
    return np.ascontiguousarray(image[..., ::-1])
