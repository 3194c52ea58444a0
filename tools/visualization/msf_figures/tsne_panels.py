# Copyright (c) mmmsf contributors. All rights reserved.
"""t-SNE of backbone features, one panel per checkpoint (the `MSF
<https://arxiv.org/abs/2105.07269>`_ paper's "t-SNE over epochs")."""
from typing import Optional, Sequence

import matplotlib
import numpy as np
from sklearn.manifold import TSNE
from threadpoolctl import threadpool_limits

from .canvas import add_axes_px, new_figure

HEADER_H = 44


def tsne_embedding(feats: np.ndarray,
                   perplexity: float = 30.0,
                   seed: int = 0) -> np.ndarray:
    """2-D scikit-learn t-SNE of features (cosine distances, PCA init).

    Args:
        feats (np.ndarray): N x C features.
        perplexity (float): t-SNE perplexity (capped below N).
            Defaults to 30.
        seed (int): Random state. Defaults to 0.

    Returns:
        np.ndarray: N x 2 coordinates.
    """
    feats = np.asarray(feats, dtype=np.float32)
    if len(feats) < 3:
        raise ValueError(f't-SNE needs at least 3 samples, got '
                         f'{len(feats)}.')
    tsne = TSNE(n_components=2,
                perplexity=min(perplexity, (len(feats) - 1) / 3),
                metric='cosine',
                init='pca',
                random_state=seed)
    # One thread: the OpenMP (Barnes-Hut) and BLAS (PCA) threads spin-wait,
    # and on a busy 2-core machine 500 points took 114 s with 2 threads,
    # 18 s with one.
    with threadpool_limits(limits=1):
        return tsne.fit_transform(feats)


def tsne_panels_size(num_panels: int, panel: int = 360) -> tuple:
    """``(width, height)`` in pixels of :func:`plot_tsne_panels`."""
    return num_panels * panel + 110, panel + HEADER_H


def plot_tsne_panels(embeddings: Sequence[np.ndarray],
                     labels: np.ndarray,
                     titles: Sequence[str],
                     classes: Optional[Sequence[str]] = None,
                     title: str = '',
                     panel: int = 360):
    """Side-by-side t-SNE scatter plots coloured by class.

    Args:
        embeddings (Sequence[np.ndarray]): One N x 2 embedding per panel
            (the same N samples in each).
        labels (np.ndarray): N labels.
        titles (Sequence[str]): Panel titles (e.g. "epoch 10").
        classes (Sequence[str], optional): Class names for the legend.
            Defaults to None (label numbers).
        title (str): Figure title. Defaults to ''.
        panel (int): Side of each panel in pixels. Defaults to 360.

    Returns:
        matplotlib.figure.Figure: A figure of :func:`tsne_panels_size`
        pixels.
    """
    if len(embeddings) != len(titles):
        raise ValueError(f'{len(embeddings)} embeddings but {len(titles)} '
                         f'titles.')
    labels = np.asarray(labels)
    present = np.unique(labels)
    width, height = tsne_panels_size(len(embeddings), panel)
    figure = new_figure(width, height)
    figure.suptitle(title, fontsize=10, y=1 - 4 / height, va='top')
    cmap = matplotlib.colormaps['tab10' if len(present) <= 10 else 'tab20']
    handles = []
    for i, (xy, name) in enumerate(zip(embeddings, titles)):
        ax = add_axes_px(figure, i * panel + 8, HEADER_H + 14, panel - 16,
                         panel - 22)
        for j, c in enumerate(present):
            keep = labels == c
            points = ax.scatter(xy[keep, 0],
                                xy[keep, 1],
                                s=6,
                                color=cmap(j % cmap.N),
                                label=str(classes[c]) if classes is not None
                                and 0 <= c < len(classes) else str(c))
            if i == 0:
                handles.append(points)
        ax.set_title(name, fontsize=9)
        ax.set_xticks([])
        ax.set_yticks([])
    figure.legend(handles=handles,
                  title='class',
                  loc='center left',
                  bbox_to_anchor=(1 - 100 / width, 0.5),
                  fontsize=7,
                  title_fontsize=8,
                  markerscale=2,
                  frameon=False)
    return figure
