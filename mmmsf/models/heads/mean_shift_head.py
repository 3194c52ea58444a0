# Copyright (c) mmmsf contributors. All rights reserved.
from typing import Dict, Optional

import torch
import torch.nn.functional as F
from mmengine.model import BaseModule
from mmpretrain.registry import MODELS
from torch import nn


@MODELS.register_module()
class MeanShiftHead(BaseModule):
    """Predictor and mean-shift loss of `Mean Shift for Self-Supervised
    Learning <https://arxiv.org/abs/2105.07269>`_.

    The online projection goes through the predictor MLP and is pulled
    towards the ``topk`` bank entries nearest to the *target* embedding:

    .. math::

        \\mathcal{L} = \\frac{1}{k} \\sum_{b \\in NN_k(t)} \\lVert q - b
        \\rVert_2^2 = \\frac{1}{k} \\sum_{b \\in NN_k(t)} (2 - 2 q^\\top b)

    with ``q`` the normalised prediction and ``t`` the normalised target.
    Because the current targets are enqueued before the search, each target
    is its own first neighbour, so ``topk=1`` is exactly the asymmetric BYOL
    loss ``2 - 2 q^T t``.

    Args:
        predictor (dict): Config of the predictor MLP (any registered neck,
            usually ``NonLinearNeck`` with ``with_avg_pool=False``).
        topk (int): Number of nearest neighbours ``k``. Defaults to 5.
        init_cfg (dict, optional): Initialization config. Defaults to None.
    """

    def __init__(self,
                 predictor: dict,
                 topk: int = 5,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if not isinstance(topk, int) or topk < 1:
            raise ValueError(f'MeanShiftHead: `topk` must be an int >= 1, '
                             f'got {topk!r}.')
        self.topk = topk
        self.predictor: nn.Module = MODELS.build(predictor)

    def loss(self,
             online: torch.Tensor,
             target: torch.Tensor,
             memory: nn.Module,
             labels: Optional[torch.Tensor] = None) -> Dict[str, torch.Tensor]:
        """Compute the mean-shift loss.

        Args:
            online (torch.Tensor): N x D online projections.
            target (torch.Tensor): N x D L2-normalised target embeddings,
                already enqueued in ``memory``.
            memory (nn.Module): The bank, a module with ``knn(query, k)``
                returning similarities, neighbour embeddings and labels, such
                as :class:`MemoryBank`.
            labels (torch.Tensor, optional): N class labels, used only for
                the purity monitor. Defaults to None.

        Returns:
            dict[str, torch.Tensor]: ``loss`` and, when ``labels`` are given,
            ``purity``: the share of the k neighbours that carry the
            sample's label (the sample itself included).
        """
        pred = self.predictor([online])[0]
        with torch.no_grad():
            _, nbrs, nbr_labels = memory.knn(target.detach(), self.topk)
        # float32 with autocast off, so the loss is exact under AMP as well
        # (autocast would run the einsum in float16/bfloat16)
        with torch.autocast(pred.device.type, enabled=False):
            pred = F.normalize(pred.float(), dim=1)  # N x D
            # N x k squared distances between prediction and each neighbour
            dist = 2 - 2 * torch.einsum('nd,nkd->nk', pred, nbrs.float())
        losses = dict(loss=dist.mean())
        if labels is not None:
            hits = nbr_labels == labels.to(nbr_labels.device).view(-1, 1)
            losses['purity'] = hits.float().mean()
        return losses
