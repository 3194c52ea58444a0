# Copyright (c) mmmsf contributors. All rights reserved.
"""Backbone features of a pretrained (or randomly initialised) model.

Shared by the figure and clustering tools (``tools/visualization``,
``tools/analysis_tools/kmeans_clusters.py``): build the model of a
pretraining config, load its backbone strictly with
:func:`~mmmsf.checkpoint.load_backbone_checkpoint`, and embed a labelled
dataset with :func:`~mmmsf.evaluation.extract_features`.
"""
import logging
from typing import Optional, Sequence, Tuple

import numpy as np
import torch
from mmengine.config import Config, ConfigDict
from mmengine.dataset import BaseDataset
from mmengine.logging import print_log
from mmengine.registry import init_default_scope
from mmengine.runner import Runner, set_random_seed
from torch import nn

from mmmsf.checkpoint import load_backbone_checkpoint
from mmmsf.evaluation import extract_features


def config_seed(cfg: Config) -> int:
    """The config's seed (0 if unset): it fixes a random initialisation,
    the same one ``tools/benchmarks/knn_eval.py --random-init`` scores."""
    return cfg.get('randomness', {}).get('seed') or 0


def build_pretrained_model(cfg: Config,
                           checkpoint: Optional[str],
                           prefix: str = 'backbone.') -> nn.Module:
    """Build ``cfg.model`` and load the backbone of ``checkpoint``.

    Args:
        cfg (Config): A pretraining config (MSF, BYOL, MoCo ...).
        checkpoint (str, optional): Checkpoint whose backbone is loaded
            strictly. None keeps the seeded random initialisation (a
            baseline, announced as a warning).
        prefix (str): Prefix of the backbone keys in the checkpoint
            (``'target_net.module.0.'`` for the momentum backbone).
            Defaults to ``'backbone.'``.

    Returns:
        nn.Module: The model in eval mode, on the GPU when there is one.
    """
    from mmpretrain.registry import MODELS
    init_default_scope(cfg.get('default_scope', 'mmpretrain'))
    set_random_seed(config_seed(cfg))
    model = MODELS.build(cfg.model)
    if checkpoint is None:
        # the backbone's own initialisation (Kaiming), as knn_eval.py's
        # --random-init; with a checkpoint it would be overwritten anyway
        model.init_weights()
        print_log(
            'NO checkpoint is loaded, the backbone is RANDOMLY initialised '
            '(a baseline).',
            logger='current',
            level=logging.WARNING)
    else:
        load_backbone_checkpoint(model.backbone, checkpoint, prefix)
    if torch.cuda.is_available():
        model = model.cuda(torch.cuda.current_device())
    return model.eval()


def build_dataset(dataloader_cfg: dict) -> BaseDataset:
    """The dataset of a dataloader config."""
    from mmpretrain.registry import DATASETS
    dataset = dataloader_cfg['dataset']
    return dataset if isinstance(dataset,
                                 BaseDataset) else DATASETS.build(dataset)


def dataset_features(
    model: nn.Module,
    dataloader_cfg: dict,
    indices: Optional[Sequence[int]] = None,
    seed: int = 0,
    dataset: Optional[BaseDataset] = None,
) -> Tuple[torch.Tensor, torch.Tensor, BaseDataset]:
    """Embed (a subset of) the dataset of a dataloader config.

    Args:
        model (nn.Module): From :func:`build_pretrained_model`.
        dataloader_cfg (dict): A dataloader config, e.g. the
            ``knn_query_dataloader`` of a pretraining config; its sampler
            is replaced by a non-shuffling one.
        indices (Sequence[int], optional): Keep only these samples (in this
            order). Defaults to None (all).
        seed (int): Seed of the dataloader. Defaults to 0.
        dataset (BaseDataset, optional): The config's dataset, already
            built (:func:`build_dataset`), to save loading it again.
            Defaults to None.

    Returns:
        tuple: ``(feats, labels, dataset)``: N x C L2-normalised float32
        features, N labels (``-1`` without label) and the (subset) dataset,
        whose sample ``i`` is feature ``i``.
    """
    if dataset is None:
        dataset = build_dataset(dataloader_cfg)
    if indices is not None:
        dataset = dataset.get_subset([int(i) for i in indices])
    loader_cfg = ConfigDict(dataloader_cfg).copy()
    loader_cfg['dataset'] = dataset
    loader_cfg['sampler'] = dict(type='DefaultSampler', shuffle=False)
    loader = Runner.build_dataloader(loader_cfg, seed=seed)
    feats, labels = extract_features(model, loader)
    return feats, labels, dataset


def class_subset(labels: np.ndarray, classes: Sequence[int],
                 per_class: int) -> np.ndarray:
    """Indices of the first ``per_class`` samples of each class.

    Args:
        labels (np.ndarray): N labels of a dataset.
        classes (Sequence[int]): Classes to keep.
        per_class (int): Samples kept per class (fewer if a class is
            smaller).

    Returns:
        np.ndarray: Sorted indices.
    """
    missing = [c for c in classes if not (labels == c).any()]
    if missing:
        raise ValueError(f'classes {missing} have no sample in the dataset '
                         f'(labels present: {sorted(set(labels.tolist()))}).')
    return np.sort(
        np.concatenate(
            [np.flatnonzero(labels == c)[:per_class] for c in classes]))
