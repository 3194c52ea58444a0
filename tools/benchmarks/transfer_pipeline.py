# Copyright (c) mmmsf contributors. All rights reserved.
"""Frozen features of a transfer dataset and its linear evaluation.

A transfer config (``configs/benchmarks/transfer/``) names the feature
``model``, the mmpretrain dataset class and its splits in ``transfer``, the
``feature_loader`` and the ``logistic_regression`` settings;
:func:`evaluate_transfer_config` runs the whole protocol of
:mod:`mmmsf.evaluation.linear_transfer` for one dataset. Used by
``transfer_linear_eval.py`` beside it.
"""
import hashlib
import json
import os
import os.path as osp
from typing import Dict, Optional, Tuple

import numpy as np
import torch
from mmengine.config import Config
from mmengine.logging import print_log
from mmengine.runner import Runner

from mmmsf.checkpoint import load_backbone_checkpoint
from mmmsf.evaluation import (extract_features, held_out_split,
                              transfer_linear_eval)
from mmmsf.evaluation.linear_transfer import TRANSFER_METRICS


def transfer_splits(cfg: Config) -> Dict[str, str]:
    """The dataset splits to embed, by role.

    Args:
        cfg (Config): A transfer config.

    Returns:
        dict: ``train`` and ``test`` (and ``val`` where the dataset has an
        official validation split) mapped to the dataset's split names.
    """
    spec = cfg.transfer
    if spec.metric not in TRANSFER_METRICS:
        raise ValueError(f'transfer.metric must be one of '
                         f'{TRANSFER_METRICS}, got {spec.metric!r}.')
    splits = dict(train=spec.train_split, test=spec.test_split)
    if spec.get('val_split'):
        splits['val'] = spec.val_split
    return splits


def check_split_lists(cfg: Config) -> None:
    """Check splits against the dataset's own image lists, where given.

    ``transfer.split_lists`` maps split names to list files relative to the
    data root (DTD: ``labels/train1.txt`` ..., the official split 1), one
    image path (relative to the image folder) per line. A split whose list
    file exists must hold exactly those images; a missing list file is
    reported and skipped.

    Args:
        cfg (Config): A transfer config.

    Raises:
        ValueError: When a split differs from its list.
    """
    from mmpretrain.registry import DATASETS
    for split, rel in cfg.transfer.get('split_lists', {}).items():
        path = osp.join(cfg.transfer.dataset.data_root, rel)
        if not osp.isfile(path):
            print_log(f'transfer: cannot check split {split!r}: no {path}',
                      logger='current')
            continue
        dataset = DATASETS.build(
            dict(cfg.transfer.dataset, split=split, lazy_init=True))
        dataset.full_init()
        prefix = dataset.img_prefix
        images = {
            osp.relpath(dataset.get_data_info(i)['img_path'], prefix)
            for i in range(len(dataset))
        }
        with open(path) as f:
            listed = {line.strip() for line in f if line.strip()}
        if images != listed:
            raise ValueError(
                f'Split {split!r} of {cfg.transfer.dataset.type} in '
                f'{cfg.transfer.dataset.data_root} is not {rel}: '
                f'{len(images - listed)} images not listed, '
                f'{len(listed - images)} listed images missing.')
        print_log(f'transfer: split {split!r} matches {rel}.',
                  logger='current')


def feature_cache_key(cfg: Config, checkpoint: str, prefix: str) -> str:
    """Features depend on the weights, the model and the datasets.

    Args:
        cfg (Config): A transfer config.
        checkpoint (str): Path of the checkpoint.
        prefix (str): Prefix of its backbone keys.

    Returns:
        str: 16 hex digits.
    """
    stat = os.stat(checkpoint)
    weights = (f'{osp.realpath(checkpoint)} {stat.st_size} '
               f'{stat.st_mtime_ns} {prefix}')
    content = json.dumps(
        [weights, cfg.model, cfg.transfer.dataset,
         transfer_splits(cfg)],
        sort_keys=True,
        default=str)
    return hashlib.sha256(content.encode()).hexdigest()[:16]


def extract_transfer_features(
    cfg: Config,
    checkpoint: str,
    prefix: str = 'backbone.',
    cache_dir: Optional[str] = None
) -> Dict[str, Tuple[torch.Tensor, torch.Tensor]]:
    """Raw pooled backbone features of every split of a transfer dataset.

    Builds ``cfg.model``, loads the backbone of ``checkpoint`` strictly
    (:func:`~mmmsf.checkpoint.load_backbone_checkpoint`) and embeds each
    split with ``cfg.feature_loader`` (no augmentation: the config's
    pipeline), after :func:`check_split_lists`. The features are not
    normalised (BYOL's protocol). With
    ``cache_dir`` they are saved there and read back on the next call for
    the same checkpoint file, model and dataset.

    Args:
        cfg (Config): A transfer config.
        checkpoint (str): Pretraining checkpoint or backbone state dict.
        prefix (str): Prefix of the backbone keys. Defaults to
            ``'backbone.'``.
        cache_dir (str, optional): Where to cache the features.
            Defaults to None (no cache).

    Returns:
        dict: Split role (``train``, ``val``, ``test``) to
        ``(N x C float32 features, N int64 labels)``.
    """
    splits = transfer_splits(cfg)
    check_split_lists(cfg)
    path = None
    if cache_dir is not None:
        path = osp.join(
            cache_dir, f'features_{feature_cache_key(cfg, checkpoint, prefix)}'
            '.pth')
        if osp.isfile(path):
            print_log(f'Loading cached features from {path}', logger='current')
            cached = torch.load(path, map_location='cpu', weights_only=True)
            return {k: (v['feats'], v['labels']) for k, v in cached.items()}

    from mmpretrain.registry import MODELS
    model = MODELS.build(cfg.model)
    load_backbone_checkpoint(model.backbone, checkpoint, prefix)
    if torch.cuda.is_available():
        model = model.cuda(torch.cuda.current_device())
    seed = cfg.get('randomness', {}).get('seed') or 0
    feats = {}
    for role, split in splits.items():
        loader_cfg = cfg.feature_loader.copy()
        loader_cfg['dataset'] = dict(cfg.transfer.dataset, split=split)
        loader = Runner.build_dataloader(loader_cfg, seed=seed)
        x, y = extract_features(model, loader, progress=True, normalize=False)
        if (y < 0).any():
            raise ValueError(f'Split {split!r} of {cfg.transfer.dataset.type}'
                             f' has samples without a label.')
        print_log(
            f'Extracted {x.shape[0]} {role} features (split {split!r}) of '
            f'dimension {x.shape[1]}.',
            logger='current')
        feats[role] = (x, y)
    if path is not None:
        os.makedirs(cache_dir, exist_ok=True)
        torch.save({
            k: dict(feats=x, labels=y)
            for k, (x, y) in feats.items()
        }, path)
        print_log(f'Cached the features in {path}', logger='current')
    return feats


def evaluate_transfer_config(cfg: Config,
                             checkpoint: str,
                             prefix: str = 'backbone.',
                             cache_dir: Optional[str] = None,
                             n_jobs: int = 1) -> dict:
    """The linear transfer protocol on one dataset.

    Embeds the splits (:func:`extract_transfer_features`), takes the
    official validation split where the config names one (``val_split``)
    and otherwise holds out ``val_fraction`` of ``train_split``
    (:func:`~mmmsf.evaluation.held_out_split`), then chooses the
    regularisation, refits on train + val and scores the test split
    (:func:`~mmmsf.evaluation.transfer_linear_eval`).

    Args:
        cfg (Config): A transfer config.
        checkpoint (str): Pretraining checkpoint or backbone state dict.
        prefix (str): Prefix of the backbone keys. Defaults to
            ``'backbone.'``.
        cache_dir (str, optional): Feature cache. Defaults to None.
        n_jobs (int): Threads of the regularisation sweep. Defaults to 1.

    Returns:
        dict: The result of ``transfer_linear_eval`` plus ``dataset`` (the
        config's ``transfer.key``), ``val_source`` and the split names.
    """
    spec = cfg.transfer
    feats = extract_transfer_features(cfg, checkpoint, prefix, cache_dir)
    train_x, train_y = (t.numpy() for t in feats['train'])
    test_x, test_y = (t.numpy() for t in feats['test'])
    if 'val' in feats:
        val_x, val_y = (t.numpy() for t in feats['val'])
        val_source = f'official split {spec.val_split!r}'
    else:
        fraction = spec.get('val_fraction', 0.2)
        seed = spec.get('split_seed', 0)
        tr, va = held_out_split(train_y, fraction, seed)
        train_x, train_y, val_x, val_y = (train_x[tr], train_y[tr],
                                          train_x[va], train_y[va])
        val_source = (f'{fraction:g} of split {spec.train_split!r}, '
                      f'class-stratified, seed {seed}')
    print_log(
        f'transfer {spec.key}: train {len(train_y)}, val {len(val_y)} '
        f'({val_source}), test {len(test_y)} samples.',
        logger='current')
    lr_cfg = cfg.get('logistic_regression', {})
    lambdas = lr_cfg.get('lambdas')
    result = transfer_linear_eval(
        train_x,
        train_y,
        val_x,
        val_y,
        test_x,
        test_y,
        spec.metric,
        lambdas=None if lambdas is None else np.asarray(lambdas, float),
        standardize=lr_cfg.get('standardize', False),
        max_iter=lr_cfg.get('max_iter', 1000),
        tol=lr_cfg.get('tol', 1e-4),
        n_jobs=n_jobs)
    result.update(dataset=spec.key,
                  dataset_type=spec.dataset.type,
                  data_root=spec.dataset.data_root,
                  splits=transfer_splits(cfg),
                  val_source=val_source,
                  checkpoint=checkpoint,
                  prefix=prefix,
                  feature_dim=int(train_x.shape[1]))
    return result
