# Copyright (c) mmmsf contributors. All rights reserved.
from typing import List, Optional, Tuple, Union

import torch
import torch.nn.functional as F
from mmengine.dist import get_world_size
from mmengine.model import ExponentialMovingAverage
from mmpretrain.models import BaseSelfSupervisor
from mmpretrain.models.utils import batch_shuffle_ddp, batch_unshuffle_ddp
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample
from torch import nn


def out_features(module: nn.Module) -> Optional[int]:
    """Output width of the last linear layer of an MLP, if any."""
    linears = [m for m in module.modules() if isinstance(m, nn.Linear)]
    return linears[-1].out_features if linears else None


class BankSelfSupervisor(BaseSelfSupervisor):
    """What :class:`MSF` and :class:`CO2` share: an online backbone and
    projector (``neck``), their exponential moving average ``target_net``
    (ShuffleBN across GPUs) and a :class:`MemoryBank` of L2-normalised
    target embeddings.

    Subclasses implement ``loss``; they name their two views
    (``view_names``), say how a pipeline builds them (``views_hint``), give
    the paper's EMA coefficient ``m`` (``paper_m``, for messages) and the
    default ``momentum`` (``default_momentum``, ``1 - m``), and check their
    own parts in :meth:`check_parts`.

    Args:
        backbone (dict): Backbone config.
        neck (dict): Projector config.
        head (dict): Head config.
        memory (dict | nn.Module): :class:`MemoryBank` config.
        momentum (float, optional): EMA weight of the online model
            (mmengine's convention, ``1 - m`` of the papers). Defaults to
            the subclass's ``default_momentum``.
        shuffle_bn (bool): ShuffleBN for the target branch across GPUs.
            Ignored with a single process.
        pretrained (str, optional): Checkpoint to initialise from.
            Defaults to None.
        data_preprocessor (dict | nn.Module, optional): Defaults to None.
        init_cfg (dict | list[dict], optional): Defaults to None.
    """

    view_names: Tuple[str, str] = ('online', 'target')
    views_hint: str = ''
    paper_m: float = 0.99
    default_momentum: float = 0.01

    def __init__(self,
                 backbone: dict,
                 neck: dict,
                 head: dict,
                 memory: Union[dict, nn.Module],
                 momentum: Optional[float] = None,
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
        name = type(self).__name__
        if momentum is None:
            momentum = self.default_momentum
        if not 0 < momentum <= 1:
            raise ValueError(
                f'{name}: `momentum` is the EMA weight of the online model '
                f'(mmengine convention, 1 - m); it must be in (0, 1], got '
                f'{momentum}. The paper\'s m = {self.paper_m} is '
                f'momentum={1 - self.paper_m:.3g}.')
        self.memory = memory if isinstance(memory, nn.Module) \
            else MODELS.build(memory)
        self.check_bank_width(self.neck, 'neck (projector)')
        self.momentum = momentum
        self.shuffle_bn = shuffle_bn
        self.target_net = ExponentialMovingAverage(nn.Sequential(
            self.backbone, self.neck),
                                                   momentum=momentum)
        self.check_parts()

    def check_parts(self) -> None:
        """Fail at build time on parts that do not fit the method (the
        subclasses' own checks; the projector width is checked here)."""

    def check_bank_width(self, module: nn.Module, what: str) -> None:
        """Fail at build time if ``module`` outputs another width than the
        bank stores.

        Args:
            module (nn.Module): An MLP (projector or predictor).
            what (str): Its name in the message.
        """
        out, dim = out_features(module), self.memory.dim
        if out is not None and out != dim:
            raise ValueError(
                f'{type(self).__name__}: the {what} outputs {out}-d '
                f'embeddings but the memory bank stores {dim}-d ones; set '
                f'`model.memory.dim={out}` or change the {what} '
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

    def _split_views(
            self,
            inputs: List[torch.Tensor]) -> Tuple[torch.Tensor, torch.Tensor]:
        """The two views, ``view_names`` in that order."""
        if not isinstance(inputs, (list, tuple)) or len(inputs) != 2:
            got = len(inputs) if isinstance(inputs, (list, tuple)) else 1
            raise ValueError(
                f'{type(self).__name__} expects exactly 2 views per image '
                f'([{", ".join(self.view_names)}]) but got {got}; '
                f'{self.views_hint}')
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
        """Embed the target views of a batch and enqueue them (also the
        warm start of :class:`MemoryBankHook`).

        Args:
            inputs (list[torch.Tensor]): The two views.
            data_samples (list[DataSample], optional): Samples with labels.

        Returns:
            torch.Tensor: N x D target embeddings that were enqueued.
        """
        _, target_view = self._split_views(inputs)
        target = self.forward_target(target_view)
        self.memory.enqueue(target, self._get_labels(data_samples))
        return target
