# Copyright (c) mmmsf contributors. All rights reserved.
"""Training curves (loss, neighbour purity, online k-NN) from the scalars
that mmengine's ``LocalVisBackend`` writes to a work dir."""
import glob
import os.path as osp
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
from matplotlib.ticker import MaxNLocator
from mmpretrain.utils import load_json_log

from .canvas import add_axes_px, new_figure

# (panel title, y label, scalar keys) of the default figure
DEFAULT_PANELS = (
    ('training loss', 'loss', ('loss', )),
    ('neighbour purity (share of the k neighbours with the label)', 'purity',
     ('purity', )),
    ('online k-NN accuracy of the backbone', 'accuracy (%)',
     ('knn/knn_top1', 'knn/knn_1nn', 'knn/knn_20nn')),
)
LEGEND = {
    'knn/knn_top1': 'weighted 20-NN',
    'knn/knn_1nn': '1-NN',
    'knn/knn_20nn': '20-NN (majority)',
}
HEADER_H = 36


def scalar_files(work_dir: str) -> List[str]:
    """The ``scalars.json`` files of a work dir, oldest run first.

    Args:
        work_dir (str): A work dir (``<work_dir>/<timestamp>/vis_data/
            scalars.json``), a run's timestamp folder, or a scalars file.

    Returns:
        list[str]: Paths, sorted by run timestamp.
    """
    if osp.isfile(work_dir):
        return [work_dir]
    files = sorted(
        glob.glob(osp.join(work_dir, '*', 'vis_data', 'scalars.json')) +
        glob.glob(osp.join(work_dir, 'vis_data', 'scalars.json')))
    if not files:
        raise FileNotFoundError(
            f'no scalars.json under {work_dir} (expected '
            f'<work_dir>/<timestamp>/vis_data/scalars.json, written by '
            f"mmengine's LocalVisBackend).")
    return files


def load_scalars(work_dir: str) -> Dict[str, Tuple[np.ndarray, np.ndarray]]:
    """Every logged scalar of a work dir as ``(steps, values)`` series.

    Runs are read oldest first; when a resumed run logs a step again, the
    newer value wins.

    Args:
        work_dir (str): See :func:`scalar_files`.

    Returns:
        dict[str, tuple[np.ndarray]]: ``key -> (steps, values)``, sorted by
        step.
    """
    series: Dict[str, Dict[int, float]] = {}
    for path in scalar_files(work_dir):
        log = load_json_log(path)
        for record in log['train'] + log['val']:
            step = record.get('step')
            for key, value in record.items():
                if key in ('step', 'epoch',
                           'iter') or not isinstance(value, (int, float)):
                    continue
                series.setdefault(key, {})[int(step)] = float(value)
    return {
        key: (np.array(sorted(points)),
              np.array([points[s] for s in sorted(points)]))
        for key, points in series.items()
    }


def curves_size(num_panels: int,
                panel_w: int = 420,
                panel_h: int = 320) -> tuple:
    """``(width, height)`` in pixels of :func:`plot_training_curves`."""
    return num_panels * panel_w, panel_h + HEADER_H


def plot_training_curves(scalars: Dict[str, Tuple[np.ndarray, np.ndarray]],
                         panels: Optional[Sequence[tuple]] = None,
                         title: str = '',
                         panel_w: int = 420,
                         panel_h: int = 320):
    """One panel per group of scalars, against the iteration.

    Args:
        scalars (dict): From :func:`load_scalars`.
        panels (Sequence[tuple], optional): ``(title, y label, keys)`` per
            panel; panels none of whose keys were logged are left out.
            Defaults to :data:`DEFAULT_PANELS`.
        title (str): Figure title. Defaults to ''.
        panel_w (int): Panel width in pixels. Defaults to 420.
        panel_h (int): Panel height in pixels. Defaults to 320.

    Returns:
        matplotlib.figure.Figure: A figure of :func:`curves_size` pixels
        (for the panels kept).
    """
    panels = [(name, ylabel, [k for k in keys if k in scalars])
              for name, ylabel, keys in (panels or DEFAULT_PANELS)]
    panels = [p for p in panels if p[2]]
    if not panels:
        raise ValueError('none of the requested scalars was logged; '
                         f'logged keys: {sorted(scalars)}.')
    width, height = curves_size(len(panels), panel_w, panel_h)
    figure = new_figure(width, height)
    figure.suptitle(title, fontsize=10, y=1 - 4 / height, va='top')
    for i, (name, ylabel, keys) in enumerate(panels):
        ax = add_axes_px(figure, i * panel_w + 62, HEADER_H + 22, panel_w - 80,
                         panel_h - 70)
        for key in keys:
            steps, values = scalars[key]
            few = len(steps) <= 50  # evaluations: show the points
            ax.plot(steps,
                    values,
                    marker='o' if few else None,
                    markersize=3,
                    linewidth=1.2 if few else 0.8,
                    label=LEGEND.get(key, key))
        ax.set_title(name, fontsize=9)
        ax.set_xlabel('iteration', fontsize=8)
        ax.set_ylabel(ylabel, fontsize=8)
        ax.tick_params(labelsize=7)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(alpha=0.3)
        if len(keys) > 1 or keys[0] not in ('loss', 'purity'):
            ax.legend(fontsize=7)
    return figure
