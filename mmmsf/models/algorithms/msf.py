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


def _out_features(module: nn.Module) -> Optional[int]:
    """Output width of the last linear layer of an MLP, if any."""
    linears = [m for m in module.modules() if isinstance(m, nn.Linear)]
    return linears[-1].out_features if linears else None


@MODELS.register_module()
class MSF(BaseSelfSupervisor):
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

    def __init__(self,
                 backbone: dict,
                 neck: dict,
                 head: dict,
                 memory: dict,
                 momentum: float = 0.01,
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
                f'MSF: `momentum` is the EMA weight of the online model '
                f'(mmengine convention, 1 - m); it must be in (0, 1], got '
                f'{momentum}. The paper\'s m = 0.99 is momentum=0.01.')
        self.memory = memory if isinstance(memory, nn.Module) \
            else MODELS.build(memory)
        self._check_shapes()
        self.momentum = momentum
        self.shuffle_bn = shuffle_bn
        self.target_net = ExponentialMovingAverage(nn.Sequential(
            self.backbone, self.neck),
                                                   momentum=momentum)

    def _check_shapes(self) -> None:
        """Fail at build time on settings that cannot train."""
        dim = self.memory.dim
        for name, module in (('neck (projector)', self.neck),
                             ('head.predictor', self.head.predictor)):
            out = _out_features(module)
            if out is not None and out != dim:
                raise ValueError(
                    f'MSF: the {name} outputs {out}-d embeddings but the '
                    f'memory bank stores {dim}-d ones; set '
                    f'`model.memory.dim={out}` or change the {name} '
                    f'`out_channels`.')
        if self.head.topk > self.memory.size:
            raise ValueError(
                f'MSF: `head.topk`={self.head.topk} is larger than the '
                f'memory bank (size={self.memory.size}); lower topk or '
                f'enlarge `model.memory.size`.')

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
                f'MSF expects exactly 2 views per image ([online, target]) '
                f'but got {got}; build the train pipeline with '
                f'`MeanShiftViews` (or `MultiView` with num_views=[1, 1]).')
        return inputs[0], inputs[1]

    @staticmethod
    def _get_labels(
            data_samples: Optional[List[DataSample]]
    ) -> Optional[torch.Tensor]:
        """Class labels for the purity monitor, or None if unlabelled."""
        if not data_samples or 'gt_label' not in data_samples[0]:
            return None
        return torch.cat([s.gt_label[:1] for s in data_samples])

    @torch.no_grad()
    def forward_target(self, target_view: torch.Tensor) -> torch.Tensor:
        """L2-normalised target embeddings (ShuffleBN across GPUs).

        Args:
            target_view (torch.Tensor): N x C x H x W target-view images.

        Returns:
            torch.Tensor: N x D embeddings.
        """
        shuffle = self.shuffle_bn and get_world_size() > 1
        if shuffle:
            target_view, idx_unshuffle = batch_shuffle_ddp(target_view)
        target = self.target_net(target_view)[0]  # N x D
        if shuffle:
            target = batch_unshuffle_ddp(target, idx_unshuffle)
        return F.normalize(target.float(), dim=1)

    @torch.no_grad()
    def fill_memory(
            self,
            inputs: List[torch.Tensor],
            data_samples: Optional[List[DataSample]] = None) -> torch.Tensor:
        """Embed the target views of a batch and enqueue them.

        Args:
            inputs (list[torch.Tensor]): ``[online_view, target_view]``.
            data_samples (list[DataSample], optional): Samples with labels.

        Returns:
            torch.Tensor: N x D target embeddings that were enqueued.
        """
        _, target_view = self._split_views(inputs)
        target = self.forward_target(target_view)
        self.memory.enqueue(target, self._get_labels(data_samples))
        return target

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
