# Copyright (c) mmmsf contributors. All rights reserved.
from typing import Optional, Sequence

import torch
import torch.nn.functional as F
from mmpretrain.registry import MODELS
from torch import nn

from .blocks import (DiscriminatorBlock, OrthogonalInitModule,
                     check_channel_mults, resolution_plan, sn_wrap)


@MODELS.register_module()
class ProjectionDiscriminator(OrthogonalInitModule):
    """Projection discriminator ``D(x, h)`` conditioned on an instance
    feature, as in `IC-GAN <https://arxiv.org/abs/2109.05070>`_.

    Residual down-blocks (BigGAN style, spectrally normalised) halve the
    image down to the coarsest size of
    :func:`~mmmsf.models.generators.blocks.resolution_plan`; after a ReLU
    the map is sum-pooled to ``phi(x)`` and the logit is

    .. math::

        D(x, h) = w^\\top \\phi(x) + \\langle E h, \\phi(x) \\rangle

    (`cGANs with Projection Discriminator
    <https://arxiv.org/abs/1802.05637>`_ with the class embedding replaced
    by a linear map ``E`` of the feature).

    Args:
        feature_dim (int): Width of the conditioning feature ``h``.
        img_size (int): Side of the square images. Defaults to 32.
        in_channels (int): Channels of the images. Defaults to 3.
        base_channels (int): Width unit of the blocks. Defaults to 32.
        channel_mults (Sequence[int], optional): Width multiplier of each
            block's output, finest first (``num_blocks`` of them). Defaults
            to None: ``min(2 ** (i + 1), 16)``.
        spectral_norm (bool): Spectral norm on every layer.
            Defaults to True.
        init_cfg (dict, optional): Initialization config. Defaults to None.
    """

    def __init__(self,
                 feature_dim: int,
                 img_size: int = 32,
                 in_channels: int = 3,
                 base_channels: int = 32,
                 channel_mults: Optional[Sequence[int]] = None,
                 spectral_norm: bool = True,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.feature_dim = int(feature_dim)
        self.img_size = int(img_size)
        self.in_channels = int(in_channels)
        _, num_blocks = resolution_plan(self.img_size)
        if channel_mults is None:
            channel_mults = [min(2**(i + 1), 16) for i in range(num_blocks)]
        mults = check_channel_mults(channel_mults, num_blocks,
                                    'ProjectionDiscriminator')
        widths = [self.in_channels] + [base_channels * m for m in mults]
        # the first block sees the image: no ReLU before its conv
        self.blocks = nn.Sequential(*[
            DiscriminatorBlock(widths[i], widths[i + 1], i > 0, spectral_norm)
            for i in range(num_blocks)
        ])
        self.linear = sn_wrap(nn.Linear(widths[-1], 1), spectral_norm)
        self.embed = sn_wrap(
            nn.Linear(self.feature_dim, widths[-1], bias=False), spectral_norm)

    def forward(self, x: torch.Tensor, h: torch.Tensor) -> torch.Tensor:
        """Score images against conditioning features.

        Args:
            x (torch.Tensor): N x in_channels x img_size x img_size images
                in ``[-1, 1]``.
            h (torch.Tensor): N x feature_dim L2-normalised features.

        Returns:
            torch.Tensor: N logits (higher: real).
        """
        expected = (self.in_channels, self.img_size, self.img_size)
        if x.shape[1:] != expected or h.shape[1:] != (
                self.feature_dim, ) or len(x) != len(h):
            raise ValueError(
                f'ProjectionDiscriminator expects x of shape (N, '
                f'{", ".join(map(str, expected))}) and h of shape (N, '
                f'{self.feature_dim}); got x {tuple(x.shape)} and h '
                f'{tuple(h.shape)}.')
        phi = F.relu(self.blocks(x)).sum(dim=(2, 3))  # N x C
        return self.linear(phi).squeeze(1) + (self.embed(h) * phi).sum(1)
