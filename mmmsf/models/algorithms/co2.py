# Copyright (c) mmmsf contributors. All rights reserved.
from typing import Dict, List, Optional, Tuple, Union

import torch
import torch.nn.functional as F
from mmengine.dist import get_world_size
from mmengine.model import ExponentialMovingAverage
from mmpretrain.models import BaseSelfSupervisor
from mmpretrain.models.utils import batch_shuffle_ddp, batch_unshuffle_ddp
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample
from torch import nn

from ..memories import ShardedMemoryBank


@MODELS.register_module()
class CO2(BaseSelfSupervisor):
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

    def __init__(self,
                 backbone: dict,
                 neck: dict,
                 head: dict,
                 memory: dict,
                 momentum: float = 0.001,
                 shuffle_bn: bool = True,
                 pretrained: Optional[str] = None,
                 data_preprocessor: Optional[Union[dict, nn.Module]] = None,
                 init_cfg: Optional[Union[dict, List[dict]]] = None) -> None:
        super().__init__(backbone=backbone,
                         neck=neck,
                         head=head,
                         pretrained=pretrained,
                         data_preprocessor=data_preprocessor,
                         init_cfg=init_cfg)
        if not 0 < momentum <= 1:
            raise ValueError(
                f'CO2: `momentum` is the EMA weight of the online model '
                f'(mmengine convention, 1 - m); it must be in (0, 1], got '
                f'{momentum}. MoCo\'s m = 0.999 is momentum=0.001.')
        self.memory = memory if isinstance(memory, nn.Module) \
            else MODELS.build(memory)
        if isinstance(self.memory, ShardedMemoryBank):
            raise ValueError(
                'CO2: the queue must be a whole `MemoryBank` on every rank '
                '(each query is scored against every negative); '
                '`ShardedMemoryBank` holds only a shard per rank.')
        self._check_dim()
        self.momentum = momentum
        self.shuffle_bn = shuffle_bn
        self.target_net = ExponentialMovingAverage(nn.Sequential(
            self.backbone, self.neck),
                                                   momentum=momentum)

    def _check_dim(self) -> None:
        """Fail at build time if the projector and the bank disagree."""
        linears = [m for m in self.neck.modules() if isinstance(m, nn.Linear)]
        out = linears[-1].out_features if linears else None
        if out is not None and out != self.memory.dim:
            raise ValueError(
                f'CO2: the neck (projector) outputs {out}-d embeddings but '
                f'the memory bank stores {self.memory.dim}-d ones; set '
                f'`model.memory.dim={out}` or change the neck '
                f'`out_channels`.')

    def extract_feat(
        self, inputs: Union[torch.Tensor,
                            List[torch.Tensor]]) -> Tuple[torch.Tensor]:
        """Backbone features, used by ``mode='tensor'`` and evaluation.

        Args:
            inputs (torch.Tensor | list[torch.Tensor]): N x C x H x W images
                (or a list of views, of which the first is used).

        Returns:
            tuple[torch.Tensor]: The backbone outputs.
        """
        if isinstance(inputs, (list, tuple)):
            inputs = inputs[0]
        return self.backbone(inputs)

    @staticmethod
    def _split_views(
            inputs: List[torch.Tensor]) -> Tuple[torch.Tensor, torch.Tensor]:
        if not isinstance(inputs, (list, tuple)) or len(inputs) != 2:
            got = len(inputs) if isinstance(inputs, (list, tuple)) else 1
            raise ValueError(
                f'CO2 expects exactly 2 views per image ([query, key]) but '
                f'got {got}; build the train pipeline with '
                f"dict(type='MultiView', num_views=2, transforms=[...]).")
        return inputs[0], inputs[1]

    @staticmethod
    def _get_labels(
            data_samples: Optional[List[DataSample]]
    ) -> Optional[torch.Tensor]:
        """Class labels for the monitors, or None if unlabelled."""
        if not data_samples or 'gt_label' not in data_samples[0]:
            return None
        return torch.cat([s.gt_label[:1] for s in data_samples])

    @torch.no_grad()
    def forward_target(self, key_view: torch.Tensor) -> torch.Tensor:
        """L2-normalised keys from the momentum encoder (ShuffleBN).

        Args:
            key_view (torch.Tensor): N x C x H x W key-view images.

        Returns:
            torch.Tensor: N x D keys.
        """
        shuffle = self.shuffle_bn and get_world_size() > 1
        if shuffle:
            key_view, idx_unshuffle = batch_shuffle_ddp(key_view)
        key = self.target_net(key_view)[0]  # N x D
        if shuffle:
            key = batch_unshuffle_ddp(key, idx_unshuffle)
        return F.normalize(key.float(), dim=1)

    @torch.no_grad()
    def fill_memory(
            self,
            inputs: List[torch.Tensor],
            data_samples: Optional[List[DataSample]] = None) -> torch.Tensor:
        """Embed the key views of a batch and enqueue them (the warm start
        of :class:`MemoryBankHook`).

        Args:
            inputs (list[torch.Tensor]): ``[query_view, key_view]``.
            data_samples (list[DataSample], optional): Samples with labels.

        Returns:
            torch.Tensor: N x D keys that were enqueued.
        """
        _, key_view = self._split_views(inputs)
        key = self.forward_target(key_view)
        self.memory.enqueue(key, self._get_labels(data_samples))
        return key

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
