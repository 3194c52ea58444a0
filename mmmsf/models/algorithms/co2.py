# Copyright (c) mmmsf contributors. All rights reserved.
from typing import Dict, List

import torch
import torch.nn.functional as F
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample
from torch import nn

from ..memories import ShardedMemoryBank
from .bank_self_supervisor import BankSelfSupervisor


@MODELS.register_module()
class CO2(BankSelfSupervisor):
    """CO2: `Consistent Contrast for Unsupervised Visual Representation
    Learning <https://arxiv.org/abs/2010.02217>`_ (Wei et al., ICLR 2021).

    MoCo v2 (mmpretrain's parts: a ``MoCoV2Neck`` projector, the
    :class:`ContrastiveHead` InfoNCE inside :class:`CO2Head`, ShuffleBN
    through ``batch_shuffle_ddp`` and an mmengine
    :class:`~mmengine.model.ExponentialMovingAverage` key encoder) whose
    negative queue is this project's :class:`MemoryBank`: global across
    ranks, checkpointed with the model, resumable exactly, optionally
    float16. The loss adds the paper's consistency term (Section 3):
    ``L = L_ins + alpha * L_con``, see :class:`CO2Head`.

    As in MoCo, the logits of a batch are computed against the queue as it
    was *before* the batch; its keys are enqueued afterwards (unlike
    :class:`MSF`, which enqueues first). With ``head.alpha=0`` this is MoCo
    v2 on the same bank.

    The inputs are ``[query_view, key_view]``, two views of each image
    (``MultiView`` with ``num_views=2``).

    Note:
        MoCo updates the key encoder as ``k = m * k + (1 - m) * q`` with
        ``m = 0.999``. mmengine's
        :class:`~mmengine.model.ExponentialMovingAverage` takes the weight of
        the *online* model instead, so the paper's setting is
        ``momentum = 1 - m = 0.001`` (mmpretrain's MoCo default too).

    Args:
        backbone (dict): Backbone config.
        neck (dict): Projector config (``MoCoV2Neck`` for MoCo v2).
        head (dict): :class:`CO2Head` config (temperatures and ``alpha``).
        memory (dict): :class:`MemoryBank` config: ``size`` is the queue
            length ``K``, ``dim`` the projector output.
        momentum (float): EMA weight of the online model, ``1 - m``.
            Defaults to 0.001.
        shuffle_bn (bool): ShuffleBN for the key encoder across GPUs, as in
            MoCo. Ignored with a single process. Defaults to True.
        pretrained (str, optional): Checkpoint to initialise from.
            Defaults to None.
        data_preprocessor (dict, optional): Defaults to
            ``SelfSupDataPreprocessor``.
        init_cfg (dict, optional): Initialization config. Defaults to None.
    """

    view_names = ('query', 'key')
    views_hint = ("build the train pipeline with "
                  "dict(type='MultiView', num_views=2, transforms=[...]).")
    paper_m = 0.999
    default_momentum = 0.001

    def check_parts(self) -> None:
        """Fail at build time on parts that do not fit CO2."""
        if isinstance(self.memory, ShardedMemoryBank):
            raise ValueError(
                'CO2: the queue must be a whole `MemoryBank` on every rank '
                '(each query is scored against every negative); '
                '`ShardedMemoryBank` holds only a shard per rank.')

    def loss(self, inputs: List[torch.Tensor], data_samples: List[DataSample],
             **kwargs) -> Dict[str, torch.Tensor]:
        """Forward both encoders, score against the queue, then enqueue.

        Args:
            inputs (list[torch.Tensor]): ``[query_view, key_view]``, each
                N x C x H x W.
            data_samples (list[DataSample]): Samples; labels, if present,
                feed only the ``pseudo_label_purity`` monitor.

        Returns:
            dict[str, torch.Tensor]: ``loss`` and the monitors of
            :meth:`CO2Head.loss`.
        """
        query_view, key_view = self._split_views(inputs)
        query = self.neck(self.backbone(query_view))[0]  # N x D
        query = F.normalize(query, dim=1)

        with torch.no_grad():
            self.target_net.update_parameters(
                nn.Sequential(self.backbone, self.neck))
            key = self.forward_target(key_view)  # N x D
            # a copy: the enqueue below writes into the bank in place, and
            # autograd keeps the queue for the backward pass
            queue = self.memory.feats.to(torch.float32, copy=True)  # K x D
            queue_labels = self.memory.labels.clone()  # K

        labels = self._get_labels(data_samples)
        losses = self.head.loss(query, key, queue, labels, queue_labels)
        # MoCo order: the batch's keys join the queue after the loss
        self.memory.enqueue(key, labels)
        return losses
