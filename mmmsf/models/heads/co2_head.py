# Copyright (c) mmmsf contributors. All rights reserved.
from typing import Dict, List, Optional, Union

import torch
import torch.nn.functional as F
from mmpretrain.models.heads import ContrastiveHead
from mmpretrain.registry import MODELS


@MODELS.register_module()
class CO2Head(ContrastiveHead):
    """InfoNCE plus the consistency term of `CO2: Consistent Contrast for
    Unsupervised Visual Representation Learning
    <https://arxiv.org/abs/2010.02217>`_ (Wei et al., ICLR 2021).

    The InfoNCE part is mmpretrain's :class:`ContrastiveHead` (MoCo's loss,
    the positive at index 0). The consistency term (Section 3 of the paper,
    the method) compares two distributions over the ``K`` negatives
    ``n_1..n_K`` of the queue, the positive left out: the query's

    .. math::

        Q(i) = \\frac{\\exp(q^\\top n_i / \\tau_{con})}
                    {\\sum_{k=1}^{K} \\exp(q^\\top n_k / \\tau_{con})}

    and the positive key's ``P(i)``, the same with ``p`` in place of ``q``
    (the pseudo label). They are made consistent with the symmetric KL
    divergence

    .. math::

        \\mathcal{L}_{con} = \\tfrac{1}{2} D_{KL}(P \\Vert Q)
                           + \\tfrac{1}{2} D_{KL}(Q \\Vert P),
        \\qquad
        \\mathcal{L} = \\mathcal{L}_{ins} + \\alpha \\mathcal{L}_{con},

    averaged over the batch. ``p`` comes from the momentum (key) encoder, so
    ``P`` carries no gradient; both KL terms train the query encoder through
    ``Q``. ``alpha=0`` is exactly MoCo (v2 with its neck and augmentation).

    ``include_positive=True`` gives the variant of lightly's
    ``CO2Regularizer``: both distributions run over ``[positive, negatives]``
    (``q^T p`` prepended to each), ``K + 1`` entries instead of ``K``.

    Args:
        loss (dict): InfoNCE criterion on the ``N x (1 + K)`` logits.
            Defaults to ``dict(type='CrossEntropyLoss')``.
        temperature (float): InfoNCE temperature ``tau_ins`` (MoCo v2: 0.2).
            Defaults to 0.2.
        alpha (float): Weight of the consistency term; 0 is MoCo.
            Defaults to 1.0.
        consistency_temperature (float): ``tau_con`` of ``P`` and ``Q``.
            Defaults to 0.04.
        include_positive (bool): Run ``P`` and ``Q`` over the positive too
            (lightly's variant) instead of the negatives only (the paper).
            Defaults to False.
        init_cfg (dict or list[dict], optional): Initialization config.
            Defaults to None.
    """

    def __init__(self,
                 loss: Optional[dict] = None,
                 temperature: float = 0.2,
                 alpha: float = 1.0,
                 consistency_temperature: float = 0.04,
                 include_positive: bool = False,
                 init_cfg: Optional[Union[dict, List[dict]]] = None) -> None:
        super().__init__(loss=loss or dict(type='CrossEntropyLoss'),
                         temperature=temperature,
                         init_cfg=init_cfg)
        if not temperature > 0 or not consistency_temperature > 0:
            raise ValueError(
                f'CO2Head: temperatures must be > 0, got temperature='
                f'{temperature}, consistency_temperature='
                f'{consistency_temperature}.')
        if alpha < 0:
            raise ValueError(f'CO2Head: `alpha` (weight of the consistency '
                             f'term) must be >= 0, got {alpha}.')
        self.alpha = alpha
        self.consistency_temperature = consistency_temperature
        self.include_positive = include_positive

    def consistency(self, query: torch.Tensor, key: torch.Tensor,
                    queue: torch.Tensor) -> torch.Tensor:
        """Symmetric KL between the key's and the query's distributions.

        Args:
            query (torch.Tensor): N x D L2-normalised queries ``q``.
            key (torch.Tensor): N x D L2-normalised positive keys ``p``.
            queue (torch.Tensor): K x D L2-normalised negatives.

        Returns:
            torch.Tensor: The batch mean of
            ``(KL(P || Q) + KL(Q || P)) / 2``.
        """
        key = key.detach()  # the pseudo label carries no gradient
        logits_q = query @ queue.t()  # N x K
        logits_p = key @ queue.t()  # N x K
        if self.include_positive:
            pos = (query * key).sum(dim=1, keepdim=True)  # N x 1
            logits_q = torch.cat([pos, logits_q], dim=1)
            logits_p = torch.cat([pos.detach(), logits_p], dim=1)
        log_q = F.log_softmax(logits_q / self.consistency_temperature, dim=1)
        log_p = F.log_softmax(logits_p / self.consistency_temperature, dim=1)
        kl_pq = (log_p.exp() * (log_p - log_q)).sum(dim=1)  # N
        kl_qp = (log_q.exp() * (log_q - log_p)).sum(dim=1)  # N
        return 0.5 * (kl_pq + kl_qp).mean()

    def loss(
        self,
        query: torch.Tensor,
        key: torch.Tensor,
        queue: torch.Tensor,
        labels: Optional[torch.Tensor] = None,
        queue_labels: Optional[torch.Tensor] = None
    ) -> Dict[str, torch.Tensor]:
        """InfoNCE + alpha x consistency against the queue.

        Args:
            query (torch.Tensor): N x D L2-normalised queries.
            key (torch.Tensor): N x D L2-normalised positive keys.
            queue (torch.Tensor): K x D negatives (the bank *before* this
                batch's keys are enqueued, as in MoCo).
            labels (torch.Tensor, optional): N class labels, for the
                ``pseudo_label_purity`` monitor only. Defaults to None.
            queue_labels (torch.Tensor, optional): K labels of the queue
                (-1 when unknown). Defaults to None.

        Returns:
            dict[str, torch.Tensor]: ``loss`` (the objective, the only key
            mmengine optimises), and the monitors ``infonce``,
            ``consistency`` and, with labels, ``pseudo_label_purity``: the
            mass of ``P`` on queue entries of the sample's own class.
        """
        # float32 with autocast off, so the loss is exact under AMP too
        with torch.autocast(query.device.type, enabled=False):
            query, key = query.float(), key.detach().float()
            queue = queue.detach().float()
            pos = (query * key).sum(dim=1, keepdim=True)  # N x 1
            neg = query @ queue.t()  # N x K
            infonce = super().loss(pos, neg)
            consistency = self.consistency(query, key, queue)
        losses = dict(loss=infonce + self.alpha * consistency,
                      infonce=infonce.detach(),
                      consistency=consistency.detach())
        if labels is not None and queue_labels is not None:
            with torch.no_grad():
                pseudo = F.softmax(key @ queue.t() /
                                   self.consistency_temperature,
                                   dim=1)  # N x K
                same = queue_labels.to(labels.device).view(1, -1) == \
                    labels.view(-1, 1)  # N x K
                losses['pseudo_label_purity'] = (pseudo * same).sum(1).mean()
        return losses
