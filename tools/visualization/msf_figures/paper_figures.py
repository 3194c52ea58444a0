# Copyright (c) mmmsf contributors. All rights reserved.
"""The figures of the `MSF <https://arxiv.org/abs/2105.07269>`_ paper from
a pretraining config and checkpoints.

The labelled sets are the config's ``knn_reference_dataloader`` (training
images, no augmentation) and ``knn_query_dataloader`` (held-out images),
the same ones ``tools/benchmarks/knn_eval.py`` and ``KNNMonitorHook`` use.
Features are the L2-normalised pooled backbone outputs of
:func:`~mmmsf.evaluation.extract_features`; checkpoints load strictly.
"""
import os.path as osp
from typing import Dict, Optional, Sequence, Tuple

import numpy as np
from mmengine.config import Config
from mmengine.dataset import BaseDataset
from mmengine.logging import print_log

from mmmsf.evaluation import knn_search
from mmmsf.evaluation.clustering import clustering_scores, kmeans_clusters
from .canvas import dataset_image, save_figure
from .image_grids import plot_cluster_grid, plot_retrieval_grid
from .pretrained_features import (build_dataset, build_pretrained_model,
                                  class_subset, config_seed, dataset_features)
from .training_curves import load_scalars, plot_training_curves
from .tsne_panels import plot_tsne_panels, tsne_embedding

LOADER_KEYS = {
    'reference': 'knn_reference_dataloader',
    'query': 'knn_query_dataloader'
}


def apply_data_config(cfg: Config, data_config: Optional[str] = None) -> None:
    """Take the labelled sets from ``data_config`` (e.g.
    ``configs/benchmarks/knn/imagenet_knn.py``) and check they exist.

    Args:
        cfg (Config): Pretraining config, changed in place.
        data_config (str, optional): Config with ``knn_reference_dataloader``
            and ``knn_query_dataloader``. Defaults to None.
    """
    if data_config:
        data_cfg = Config.fromfile(data_config)
        for key in LOADER_KEYS.values():
            cfg[key] = data_cfg[key]
    missing = [key for key in LOADER_KEYS.values() if key not in cfg]
    if missing:
        raise KeyError(f'the config has no {" / ".join(missing)}: add them '
                       f'or pass --data-config.')


def labelled_sets(cfg: Config) -> Dict[str, BaseDataset]:
    """The config's ``query`` and ``reference`` datasets, built once, for
    drawing several figures without loading the images again."""
    return {name: build_dataset(cfg[key]) for name, key in LOADER_KEYS.items()}


def _dataset(cfg: Config, split: str,
             datasets: Optional[Dict[str, BaseDataset]]) -> BaseDataset:
    if datasets is not None and split in datasets:
        return datasets[split]
    return build_dataset(cfg[LOADER_KEYS[split]])


def checkpoint_title(checkpoint: Optional[str]) -> str:
    """A panel title: ``random init`` or the checkpoint's file stem."""
    if checkpoint is None:
        return 'random init'
    return osp.splitext(osp.basename(checkpoint))[0].replace('_', ' ')


def _classes(dataset) -> Optional[Sequence[str]]:
    return (dataset.metainfo or {}).get('classes')


def _labels(dataset) -> np.ndarray:
    labels = np.asarray(dataset.get_gt_labels())
    if (labels < 0).any():
        raise ValueError('the figures need a labelled dataset.')
    return labels


def knn_retrieval_figure(
        cfg: Config,
        checkpoint: Optional[str],
        out_file: str,
        num_queries: int = 8,
        k: int = 8,
        query_indices: Optional[Sequence[int]] = None,
        prefix: str = 'backbone.',
        seed: int = 0,
        datasets: Optional[Dict[str, BaseDataset]] = None) -> Dict:
    """Held-out queries beside their k nearest training images (cosine).

    Args:
        cfg (Config): Pretraining config with the two labelled sets.
        checkpoint (str, optional): Checkpoint; None for random init.
        out_file (str): PNG to write.
        num_queries (int): Random queries drawn from the query set when
            ``query_indices`` is None. Defaults to 8.
        k (int): Neighbours shown. Defaults to 8.
        query_indices (Sequence[int], optional): Query-set indices.
        prefix (str): Prefix of the backbone keys. Defaults to
            ``'backbone.'``.
        seed (int): Seed of the query draw. Defaults to 0.
        datasets (dict, optional): :func:`labelled_sets` of ``cfg``.
            Defaults to None (built here).

    Returns:
        dict: ``out_file``, ``size`` (height, width), the query indices,
        the neighbour indices (into the reference set) and the share of
        neighbours with the query's label.
    """
    model = build_pretrained_model(cfg, checkpoint, prefix)
    query_set = _dataset(cfg, 'query', datasets)
    if query_indices is None:
        rng = np.random.RandomState(seed)
        query_indices = np.sort(
            rng.choice(len(query_set),
                       min(num_queries, len(query_set)),
                       replace=False))
    query_indices = [int(i) for i in query_indices]
    q_feats, q_labels, q_set = dataset_features(model,
                                                cfg[LOADER_KEYS['query']],
                                                query_indices,
                                                config_seed(cfg),
                                                dataset=query_set)
    r_feats, r_labels, r_set = dataset_features(model,
                                                cfg[LOADER_KEYS['reference']],
                                                seed=config_seed(cfg),
                                                dataset=_dataset(
                                                    cfg, 'reference',
                                                    datasets))
    sims, idx = knn_search(q_feats, r_feats, k)  # Q x k
    nn_labels = r_labels[idx]
    figure = plot_retrieval_grid(
        [dataset_image(q_set, i) for i in range(len(q_set))],
        q_labels.numpy(),
        [[dataset_image(r_set, j) for j in row] for row in idx.tolist()],
        nn_labels.numpy(),
        sims.numpy(),
        classes=_classes(r_set),
        title=f'{k} nearest training images of held-out queries '
        f'(cosine, backbone features): {checkpoint_title(checkpoint)}')
    shape = save_figure(figure, out_file)
    return dict(out_file=out_file,
                size=list(shape),
                query_indices=query_indices,
                neighbor_indices=idx.tolist(),
                same_label=float((nn_labels == q_labels[:,
                                                        None]).float().mean()))


def tsne_figure(cfg: Config,
                checkpoints: Sequence[Optional[str]],
                out_file: str,
                titles: Optional[Sequence[str]] = None,
                classes: Optional[Sequence[int]] = None,
                num_classes: int = 5,
                per_class: int = 100,
                split: str = 'query',
                perplexity: float = 30.0,
                prefix: str = 'backbone.',
                seed: int = 0,
                datasets: Optional[Dict[str, BaseDataset]] = None) -> Dict:
    """t-SNE of a few classes, one panel per checkpoint.

    Every panel embeds the same samples: the first ``per_class`` samples of
    each chosen class of the ``split`` set.

    Args:
        cfg (Config): Pretraining config with the two labelled sets.
        checkpoints (Sequence[str | None]): Checkpoints (None: random init),
            e.g. the epochs of one run.
        out_file (str): PNG to write.
        titles (Sequence[str], optional): Panel titles. Defaults to the
            checkpoint names.
        classes (Sequence[int], optional): Classes shown. Defaults to the
            first ``num_classes``.
        num_classes (int): See ``classes``. Defaults to 5.
        per_class (int): Samples per class. Defaults to 100.
        split (str): ``'query'`` (held-out) or ``'reference'`` (training)
            set. Defaults to ``'query'``.
        perplexity (float): t-SNE perplexity. Defaults to 30.
        prefix (str): Prefix of the backbone keys. Defaults to
            ``'backbone.'``.
        seed (int): t-SNE random state. Defaults to 0.
        datasets (dict, optional): :func:`labelled_sets` of ``cfg``.
            Defaults to None (built here).

    Returns:
        dict: ``out_file``, ``size`` (height, width), ``classes`` and the
        number of samples.
    """
    if split not in LOADER_KEYS:
        raise ValueError(f"split must be 'query' or 'reference', got "
                         f'{split!r}.')
    if not checkpoints:
        raise ValueError('give at least one checkpoint (or random init).')
    titles = list(titles) if titles else [
        checkpoint_title(c) for c in checkpoints
    ]
    loader_cfg = cfg[LOADER_KEYS[split]]
    full_set = _dataset(cfg, split, datasets)
    labels = _labels(full_set)
    if classes is None:
        classes = np.unique(labels)[:num_classes].tolist()
    indices = class_subset(labels, classes, per_class)
    embeddings = []
    for checkpoint in checkpoints:
        model = build_pretrained_model(cfg, checkpoint, prefix)
        feats, sub_labels, dataset = dataset_features(model,
                                                      loader_cfg,
                                                      indices,
                                                      config_seed(cfg),
                                                      dataset=full_set)
        embeddings.append(tsne_embedding(feats.numpy(), perplexity, seed))
        print_log(
            f't-SNE of {len(feats)} features of '
            f'{checkpoint_title(checkpoint)} done.',
            logger='current')
    figure = plot_tsne_panels(
        embeddings,
        sub_labels.numpy(),
        titles,
        classes=_classes(dataset),
        title=f't-SNE of backbone features, {len(indices)} {split}-set '
        f'images of {len(classes)} classes')
    shape = save_figure(figure, out_file)
    return dict(out_file=out_file,
                size=list(shape),
                classes=[int(c) for c in classes],
                num_samples=len(indices))


def kmeans_report(cfg: Config,
                  checkpoint: Optional[str],
                  out_file: Optional[str] = None,
                  num_clusters: Optional[int] = None,
                  split: str = 'query',
                  members: int = 10,
                  prefix: str = 'backbone.',
                  seed: int = 0) -> Tuple[Dict, Optional[Tuple[int, int]]]:
    """k-means of the features of a labelled set, scored against labels.

    Args:
        cfg (Config): Pretraining config with the two labelled sets.
        checkpoint (str, optional): Checkpoint; None for random init.
        out_file (str, optional): PNG of the cluster members (those nearest
            to each centre). Defaults to None (no figure).
        num_clusters (int, optional): Defaults to the number of classes.
        split (str): ``'query'`` or ``'reference'``. Defaults to
            ``'query'``.
        members (int): Members shown per cluster. Defaults to 10.
        prefix (str): Prefix of the backbone keys. Defaults to
            ``'backbone.'``.
        seed (int): k-means seed. Defaults to 0.

    Returns:
        tuple: The metrics dict (``nmi``, ``ari``, ``cluster_acc`` in
        [0, 1], ``num_clusters``, ``num_samples``) and the figure's
        ``(height, width)`` (None without ``out_file``).
    """
    if split not in LOADER_KEYS:
        raise ValueError(f"split must be 'query' or 'reference', got "
                         f'{split!r}.')
    model = build_pretrained_model(cfg, checkpoint, prefix)
    feats, labels, dataset = dataset_features(model,
                                              cfg[LOADER_KEYS[split]],
                                              seed=config_seed(cfg))
    labels = labels.numpy()
    if (labels < 0).any():
        raise ValueError('k-means scores need a labelled dataset.')
    num_clusters = num_clusters or len(np.unique(labels))
    clusters, dists = kmeans_clusters(feats.numpy(), num_clusters, seed)
    metrics = dict(**clustering_scores(labels, clusters),
                   num_clusters=int(num_clusters),
                   num_samples=int(len(labels)))
    if out_file is None:
        return metrics, None
    rows, row_labels, sizes, majority, shares = [], [], [], [], []
    for c in range(num_clusters):
        member = np.flatnonzero(clusters == c)
        member = member[np.argsort(dists[member], kind='stable')]
        counts = np.bincount(labels[member], minlength=labels.max() + 1)
        rows.append([dataset_image(dataset, i) for i in member[:members]])
        row_labels.append(labels[member[:members]].tolist())
        sizes.append(len(member))
        majority.append(int(counts.argmax()))
        shares.append(float(counts.max() / max(len(member), 1)))
    figure = plot_cluster_grid(
        rows,
        row_labels,
        sizes,
        majority,
        shares,
        classes=_classes(dataset),
        title=f'k-means ({num_clusters} clusters) of '
        f'{checkpoint_title(checkpoint)} features: NMI '
        f'{metrics["nmi"]:.3f}, ARI {metrics["ari"]:.3f}, cluster acc. '
        f'{100 * metrics["cluster_acc"]:.1f}%')
    return metrics, save_figure(figure, out_file)


def training_curves_figure(work_dir: str,
                           out_file: str,
                           panels: Optional[Sequence[tuple]] = None) -> Dict:
    """Loss, purity and online k-NN curves of a training work dir.

    Args:
        work_dir (str): Work dir of a training run.
        out_file (str): PNG to write.
        panels (Sequence[tuple], optional): See
            :func:`~.training_curves.plot_training_curves`.

    Returns:
        dict: ``out_file`` and ``size`` (height, width).
    """
    scalars = load_scalars(work_dir)
    figure = plot_training_curves(
        scalars,
        panels,
        title=f'training curves of {osp.basename(osp.normpath(work_dir))}')
    return dict(out_file=out_file, size=list(save_figure(figure, out_file)))
