# Copyright (c) mmmsf contributors. All rights reserved.
from typing import Tuple

import torch
import torch.nn.functional as F
from mmengine.model import BaseModule
from mmpretrain.registry import MODELS


@MODELS.register_module()
class L2NormStandardizeNeck(BaseModule):
    """Feature normalisation of the linear evaluation of `MSF
    <https://arxiv.org/abs/2105.07269>`_.

    The paper (following CompRess and ISD) trains its linear classifier on
    the frozen backbone's pooled feature after L2 normalisation and a
    per-dimension standardisation with the *training set's* statistics:

    .. math::

        y = \\frac{x / \\lVert x \\rVert_2 - \\mu}{\\sqrt{\\sigma^2 +
        \\epsilon}}

    where :math:`\\mu` and :math:`\\sigma^2` are the mean and (unbiased)
    variance of the normalised training features under the val transform.
    They are buffers, so they travel in checkpoints;
    :class:`~mmmsf.engine.hooks.FeatureStatisticsHook` fills them with one
    pass over the training set before training. Forwarding before they are
    set is an error.

    Args:
        in_channels (int): Feature dimension of the backbone.
        eps (float): Added to the variance. Defaults to 1e-5.
    """

    def __init__(self, in_channels: int, eps: float = 1e-5) -> None:
        super().__init__()
        self.in_channels = in_channels
        self.eps = eps
        self.register_buffer('mean', torch.zeros(in_channels))
        self.register_buffer('var', torch.ones(in_channels))
        # 0 until the statistics are set
        self.register_buffer('num_samples', torch.zeros((), dtype=torch.long))

    @property
    def has_statistics(self) -> bool:
        """Whether the training-set statistics are set."""
        return bool(self.num_samples > 0)

    @staticmethod
    def pool_and_normalize(x: torch.Tensor) -> torch.Tensor:
        """Global average pooling (of a 4-D map) and L2 normalisation.

        Args:
            x (torch.Tensor): N x C x H x W or N x C features.

        Returns:
            torch.Tensor: N x C unit vectors.
        """
        if x.dim() == 4:
            x = F.adaptive_avg_pool2d(x, 1).flatten(1)  # N x C
        return F.normalize(x, dim=1)

    @torch.no_grad()
    def set_statistics(self, mean: torch.Tensor, var: torch.Tensor,
                       num_samples: int) -> None:
        """Set the training-set statistics.

        Args:
            mean (torch.Tensor): C means of the normalised features.
            var (torch.Tensor): C variances of the normalised features.
            num_samples (int): Size of the set they were computed on.
        """
        if mean.shape != self.mean.shape or var.shape != self.var.shape:
            raise ValueError(f'L2NormStandardizeNeck: statistics of shape '
                             f'{tuple(mean.shape)} / {tuple(var.shape)} for '
                             f'in_channels={self.in_channels}.')
        if num_samples < 2:
            raise ValueError('L2NormStandardizeNeck: the statistics need at '
                             f'least 2 samples, got {num_samples}.')
        self.mean.copy_(mean)
        self.var.copy_(var)
        self.num_samples.fill_(num_samples)

    def forward(self, inputs: Tuple[torch.Tensor]) -> Tuple[torch.Tensor]:
        """Normalise and standardise the last backbone output.

        Args:
            inputs (tuple[torch.Tensor]): Backbone outputs; the last is used.

        Returns:
            tuple[torch.Tensor]: One N x C tensor.
        """
        if not self.has_statistics:
            raise RuntimeError(
                'L2NormStandardizeNeck has no training-set statistics: add '
                "dict(type='FeatureStatisticsHook') to custom_hooks, or load "
                'a checkpoint that has them.')
        x = self.pool_and_normalize(inputs[-1])
        return ((x - self.mean) * torch.rsqrt(self.var + self.eps), )
