# Copyright (c) mmmsf contributors. All rights reserved.
"""Figures of the MSF paper: retrievals, t-SNE, clusters, curves.

The drawing code of the figure tools (``tools/visualization/*.py``,
``tools/analysis_tools/{plot_curves,kmeans_clusters}.py``, ``tools/demo.py``),
which put ``tools/visualization`` on ``sys.path`` to import it.
"""
from .canvas import DPI, dataset_image, new_figure, save_figure
from .image_grids import (cluster_grid_size, plot_cluster_grid,
                          plot_retrieval_grid, retrieval_grid_size)
from .training_curves import (DEFAULT_PANELS, curves_size, load_scalars,
                              plot_training_curves, scalar_files)
from .tsne_panels import plot_tsne_panels, tsne_embedding, tsne_panels_size

__all__ = [
    'DPI', 'dataset_image', 'new_figure', 'save_figure', 'cluster_grid_size',
    'plot_cluster_grid', 'plot_retrieval_grid', 'retrieval_grid_size',
    'DEFAULT_PANELS', 'curves_size', 'load_scalars', 'plot_training_curves',
    'scalar_files', 'plot_tsne_panels', 'tsne_embedding', 'tsne_panels_size'
]
