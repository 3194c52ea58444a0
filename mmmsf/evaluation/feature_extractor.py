# Copyright (c) mmmsf contributors. All rights reserved.
from typing import Tuple

import torch
import torch.nn.functional as F
from mmengine.dist import all_gather, get_rank, get_world_size
from mmengine.utils import ProgressBar
from mmpretrain.utils import get_ori_model
from torch import nn
from torch.utils.data import DataLoader


@torch.no_grad()
def extract_features(
        model: nn.Module,
        dataloader: DataLoader,
        progress: bool = False,
        normalize: bool = True) -> Tuple[torch.Tensor, torch.Tensor]:
    """L2-normalised, globally pooled backbone features of a whole dataset.

    Works on one process or many: each rank embeds its shard (the
    dataloader must use a non-shuffling ``DefaultSampler``, which deals
    indices round-robin and pads every rank to the same length) and the
    shards are gathered back in dataset order on every rank.

    Args:
        model (nn.Module): A model with ``data_preprocessor`` and
            ``extract_feat`` (MSF, BYOL, MoCo, ImageClassifier ...),
            possibly wrapped by DDP.
        dataloader (DataLoader): Batches packed by ``PackInputs`` and
            ``default_collate``.
        progress (bool): Show a progress bar on rank 0. Defaults to False.
        normalize (bool): L2-normalise each feature (k-NN, MSF's linear
            protocol). False returns the raw pooled features (the transfer
            protocol of BYOL). Defaults to True.

    Returns:
        tuple[torch.Tensor]: ``(feats, labels)`` on CPU, N x C float32 and
        N int64 (``-1`` where a sample has no label).
    """
    model = get_ori_model(model)
    was_training = model.training
    model.eval()
    feats, labels = [], []
    bar = ProgressBar(len(dataloader)) if progress and get_rank() == 0 \
        else None
    for data in dataloader:
        data = model.data_preprocessor(data, False)
        out = model.extract_feat(data['inputs'])
        x = out[-1] if isinstance(out, (tuple, list)) else out
        if x.dim() == 4:
            x = F.adaptive_avg_pool2d(x, 1).flatten(1)  # N x C
        x = x.float()
        feats.append(F.normalize(x, dim=1) if normalize else x)
        labels.append(
            torch.tensor([
                int(s.gt_label[0]) if 'gt_label' in s else -1
                for s in data['data_samples']
            ],
                         device=x.device))
        if bar is not None:
            bar.update()
    model.train(was_training)
    feats, labels = torch.cat(feats), torch.cat(labels)  # n x C, n
    world_size = get_world_size()
    if world_size > 1:
        # rank r holds samples r, r + W, r + 2W, ...: interleave the shards
        feats = torch.stack(all_gather(feats), dim=1).flatten(0, 1)
        labels = torch.stack(all_gather(labels), dim=1).flatten(0, 1)
    size = len(dataloader.dataset)  # drop the sampler's padding
    return feats[:size].cpu(), labels[:size].cpu()
