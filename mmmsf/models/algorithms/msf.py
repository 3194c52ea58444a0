# Copyright (c) mmmsf contributors. All rights reserved.
from typing import Dict, List

import torch
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample
from torch import nn

from .bank_self_supervisor import BankSelfSupervisor


@MODELS.register_module()
class MSF(BankSelfSupervisor):
    """MSF: `Mean Shift for Self-Supervised Learning
    <https://arxiv.org/abs/2105.07269>`_.

    The online network (backbone, projector ``neck``, predictor in ``head``)
    sees one view; the target network, an exponential moving average of
    backbone and projector, sees the other. The normalised target embeddings
    of the batch are pushed into the memory bank *before* the search, then
    the online prediction is pulled towards the ``k`` bank entries nearest
    to the target (see :class:`MeanShiftHead`).

    The inputs are ``[online_view, target_view]``; :class:`MeanShiftViews`
    builds them from a view mode such as ``'w/s'`` (weak target, strong
    online: the paper's best).

    Note:
        The paper updates the target as ``t = m * t + (1 - m) * o`` with a
        constant ``m = 0.99``. mmengine's
        :class:`~mmengine.model.ExponentialMovingAverage` takes the weight of
        the *online* model instead, so the paper's setting is
        ``momentum = 1 - m = 0.01``.

    Args:
        backbone (dict): Backbone config.
        neck (dict): Projector config (e.g. ``NonLinearNeck``).
        head (dict): :class:`MeanShiftHead` config (predictor and ``topk``).
        memory (dict): :class:`MemoryBank` config (``size`` and ``dim``).
        momentum (float): EMA weight of the online model, ``1 - m``.
            Defaults to 0.01.
        shuffle_bn (bool): Shuffle the target batch across GPUs before the
            target forward pass (ShuffleBN, as in the paper). Ignored with a
            single process. Use ``SyncBN`` in the backbone config instead if
            preferred. Defaults to True.
        pretrained (str, optional): Checkpoint to initialise from.
            Defaults to None.
        data_preprocessor (dict, optional): Defaults to
            ``SelfSupDataPreprocessor``.
        init_cfg (dict, optional): Initialization config. Defaults to None.
    """

    view_names = ('online', 'target')
    views_hint = ('build the train pipeline with `MeanShiftViews` (or '
                  '`MultiView` with num_views=[1, 1]).')
    paper_m = 0.99
    default_momentum = 0.01

    def check_parts(self) -> None:
        """Fail at build time on parts that do not fit MSF."""
        self.check_bank_width(self.head.predictor, 'head.predictor')
        self.memory.check_topk(self.head.topk, '`head.topk`')

    def loss(self, inputs: List[torch.Tensor], data_samples: List[DataSample],
             **kwargs) -> Dict[str, torch.Tensor]:
        """Forward both branches and compute the mean-shift loss.

        Args:
            inputs (list[torch.Tensor]): ``[online_view, target_view]``,
                each N x C x H x W.
            data_samples (list[DataSample]): Samples; labels, if present,
                feed only the purity monitor.

        Returns:
            dict[str, torch.Tensor]: ``loss`` and, for labelled data,
            ``purity``.
        """
        online_view, _ = self._split_views(inputs)
        online = self.neck(self.backbone(online_view))[0]  # N x D

        with torch.no_grad():
            self.target_net.update_parameters(
                nn.Sequential(self.backbone, self.neck))
            # enqueue first: each target becomes its own first neighbour
            target = self.fill_memory(inputs, data_samples)  # N x D

        return self.head.loss(online, target, self.memory,
                              self._get_labels(data_samples))
