# Copyright (c) mmmsf contributors. All rights reserved.
from typing import Tuple

import torch
import torch.nn.functional as F
from mmengine.dist import all_reduce, get_rank, get_world_size
from mmpretrain.utils import get_ori_model
from torch import nn
from torch.utils.data import DataLoader


@torch.no_grad()
def backbone_feature_statistics(
        model: nn.Module,
        dataloader: DataLoader) -> Tuple[torch.Tensor, torch.Tensor, int]:
    """Per-dimension mean and variance of L2-normalised backbone features.

    One pass in eval mode over a dataset (the linear evaluation of `MSF
    <https://arxiv.org/abs/2105.07269>`_ uses the training set under the val
    transform). Sums are accumulated in float64 and all-reduced, so every
    rank gets the statistics of the whole dataset; the padding that
    ``DefaultSampler`` adds to even out the ranks is left out, so the
    result does not depend on the number of processes.

    Args:
        model (nn.Module): A model with ``data_preprocessor`` and
            ``backbone`` (e.g. ``ImageClassifier``), possibly wrapped.
        dataloader (DataLoader): Non-shuffling ``DefaultSampler`` (it
            deals indices round-robin and pads at the end).

    Returns:
        tuple: ``(mean, var, num_samples)``: C float32 mean, C float32
        unbiased variance (as ``torch.var_mean``) and the dataset size.
    """
    model = get_ori_model(model)
    was_training = model.training
    model.eval()
    rank, world_size = get_rank(), get_world_size()
    size = len(dataloader.dataset)
    total = sq_total = None
    count = 0
    position = 0  # local sample position; global one is position * W + rank
    for data in dataloader:
        data = model.data_preprocessor(data, False)
        x = model.backbone(data['inputs'])
        x = x[-1] if isinstance(x, (tuple, list)) else x
        if x.dim() == 4:
            x = F.adaptive_avg_pool2d(x, 1).flatten(1)  # N x C
        x = F.normalize(x.double(), dim=1)
        global_pos = (torch.arange(x.shape[0], device=x.device) +
                      position) * world_size + rank
        position += x.shape[0]
        x = x[global_pos < size]
        if total is None:
            total = x.new_zeros(x.shape[1])
            sq_total = x.new_zeros(x.shape[1])
        total += x.sum(0)
        sq_total += (x * x).sum(0)
        count += x.shape[0]
    model.train(was_training)
    if total is None:
        raise ValueError('backbone_feature_statistics: empty dataloader.')
    count = torch.tensor(float(count),
                         dtype=torch.float64,
                         device=total.device)
    for t in (total, sq_total, count):
        all_reduce(t)
    n = int(count.item())
    if n != size:
        raise RuntimeError(
            f'backbone_feature_statistics saw {n} samples of a dataset of '
            f'{size}: use a non-shuffling DefaultSampler.')
    if n < 2:
        raise ValueError(f'backbone_feature_statistics needs at least 2 '
                         f'samples, got {n}.')
    mean = total / n
    var = (sq_total - n * mean * mean).clamp_min(0) / (n - 1)
    return mean.float(), var.float(), n
