# Copyright (c) mmmsf contributors. All rights reserved.
"""Image grids of the paper's figures: nearest-neighbour retrievals and
k-means cluster members (`MSF <https://arxiv.org/abs/2105.07269>`_)."""
from typing import Callable, Optional, Sequence

import numpy as np

from .canvas import add_axes_px, new_figure

CORRECT, WRONG = '#1a7f37', '#cf222e'  # green / red labels
TEXT_H = 18  # pixels above each tile for its label
HEADER_H = 40  # pixels for the figure title


def _tile(figure, image: np.ndarray, left: float, top: float, size: int,
          label: str, color: str):
    """One image with its label above it."""
    ax = add_axes_px(figure, left, top + TEXT_H, size, size)
    ax.imshow(image)
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_edgecolor(color)
        spine.set_linewidth(2)
    figure.text((left + size / 2) / figure.bbox.width,
                1 - (top + TEXT_H / 2) / figure.bbox.height,
                label,
                ha='center',
                va='center',
                fontsize=7,
                color=color)


def retrieval_grid_size(num_queries: int, k: int, tile: int = 96) -> tuple:
    """``(width, height)`` in pixels of :func:`plot_retrieval_grid`."""
    return (k + 1) * (tile + 8) + 16, HEADER_H + num_queries * (tile + TEXT_H +
                                                                6)


def plot_retrieval_grid(query_images: Sequence[np.ndarray],
                        query_labels: Sequence[int],
                        neighbor_images: Sequence[Sequence[np.ndarray]],
                        neighbor_labels: np.ndarray,
                        neighbor_sims: np.ndarray,
                        classes: Optional[Sequence[str]] = None,
                        title: str = '',
                        tile: int = 96):
    """Queries (first column) beside their k nearest training images.

    Each neighbour is labelled with its class and cosine similarity, in
    green when its class is the query's and in red otherwise.

    Args:
        query_images (Sequence[np.ndarray]): Q RGB images.
        query_labels (Sequence[int]): Q labels.
        neighbor_images (Sequence[Sequence[np.ndarray]]): Q lists of k RGB
            images, nearest first.
        neighbor_labels (np.ndarray): Q x k labels.
        neighbor_sims (np.ndarray): Q x k cosine similarities.
        classes (Sequence[str], optional): Class names. Defaults to None
            (label numbers).
        title (str): Figure title. Defaults to ''.
        tile (int): Side of each image in pixels. Defaults to 96.

    Returns:
        matplotlib.figure.Figure: A figure of
        :func:`retrieval_grid_size` pixels.
    """
    num, k = np.asarray(neighbor_labels).shape
    name = _namer(classes)
    width, height = retrieval_grid_size(num, k, tile)
    figure = new_figure(width, height)
    figure.suptitle(title, fontsize=10, y=1 - 6 / height, va='top')
    for row in range(num):
        top = HEADER_H + row * (tile + TEXT_H + 6)
        _tile(figure, query_images[row], 4, top, tile,
              f'query: {name(query_labels[row])}', 'black')
        for col in range(k):
            label = int(neighbor_labels[row][col])
            _tile(figure, neighbor_images[row][col],
                  16 + (col + 1) * (tile + 8), top, tile,
                  f'{name(label)}  {float(neighbor_sims[row][col]):.2f}',
                  CORRECT if label == int(query_labels[row]) else WRONG)
    return figure


def cluster_grid_size(num_clusters: int,
                      members: int,
                      tile: int = 64) -> tuple:
    """``(width, height)`` in pixels of :func:`plot_cluster_grid`."""
    return 120 + members * (tile + 4) + 4, HEADER_H + num_clusters * (
        tile + TEXT_H + 4)


def plot_cluster_grid(member_images: Sequence[Sequence[np.ndarray]],
                      member_labels: Sequence[Sequence[int]],
                      cluster_sizes: Sequence[int],
                      majority_labels: Sequence[int],
                      majority_shares: Sequence[float],
                      classes: Optional[Sequence[str]] = None,
                      title: str = '',
                      tile: int = 64):
    """One row per cluster: its members nearest to the cluster centre.

    Rows are headed by the cluster's size and its majority class (with
    the class's share of the cluster); members of the majority class are
    labelled in green, the others in red.

    Args:
        member_images (Sequence[Sequence[np.ndarray]]): C lists of RGB
            images (at most ``members`` each).
        member_labels (Sequence[Sequence[int]]): Their labels.
        cluster_sizes (Sequence[int]): C cluster sizes.
        majority_labels (Sequence[int]): C majority labels.
        majority_shares (Sequence[float]): C shares in [0, 1].
        classes (Sequence[str], optional): Class names. Defaults to None.
        title (str): Figure title. Defaults to ''.
        tile (int): Side of each image in pixels. Defaults to 64.

    Returns:
        matplotlib.figure.Figure: A figure of :func:`cluster_grid_size`
        pixels, ``members`` being the longest row.
    """
    name = _namer(classes)
    members = max(len(row) for row in member_images)
    width, height = cluster_grid_size(len(member_images), members, tile)
    figure = new_figure(width, height)
    figure.suptitle(title, fontsize=10, y=1 - 6 / height, va='top')
    for c, images in enumerate(member_images):
        top = HEADER_H + c * (tile + TEXT_H + 4)
        figure.text(8 / width,
                    1 - (top + TEXT_H + tile / 2) / height,
                    f'cluster {c} (n={cluster_sizes[c]})\n'
                    f'majority: {name(majority_labels[c])} '
                    f'({100 * majority_shares[c]:.0f}%)',
                    ha='left',
                    va='center',
                    fontsize=7)
        for j, image in enumerate(images):
            label = int(member_labels[c][j])
            _tile(figure, image, 120 + j * (tile + 4), top, tile, name(label),
                  CORRECT if label == int(majority_labels[c]) else WRONG)
    return figure


def _namer(classes: Optional[Sequence[str]]) -> Callable[[int], str]:
    """Class name of a label (the number when names are unknown)."""

    def name(label) -> str:
        label = int(label)
        if classes is not None and 0 <= label < len(classes):
            return str(classes[label])
        return str(label)

    return name
