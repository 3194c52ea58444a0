# Copyright (c) mmmsf contributors. All rights reserved.
import math
from typing import Optional, Sequence

import torch
import torch.nn.functional as F
from mmpretrain.registry import MODELS
from torch import nn

from .blocks import (GeneratorBlock, OrthogonalInitModule, check_channel_mults,
                     resolution_plan, sn_wrap)


@MODELS.register_module()
class ICGANGenerator(OrthogonalInitModule):
    """Instance-conditioned generator ``G(z, h)`` of `IC-GAN
    <https://arxiv.org/abs/2109.05070>`_, the view operator of `Local
    Manifold Augmentation <https://arxiv.org/abs/2211.02798>`_.

    A BigGAN-style residual generator: ``[z, embed(h)]`` is mapped to a
    ``bottom x bottom`` feature map, residual up-blocks double it until it
    reaches ``img_size``, and every block's conditional BatchNorm takes its
    gains and biases from a linear map of the same vector ``[z, embed(h)]``
    (BigGAN splits ``z`` across the blocks; we feed it whole to each). The
    output goes through BN-ReLU-conv and ``tanh``, so images lie in
    ``[-1, 1]``.

    ``h`` is unit-norm while ``z ~ N(0, I)`` has a norm of about
    ``sqrt(z_dim)``; under spectral norm the stem and the CBN maps cannot
    amplify one part of their input over the other, so an unscaled
    ``embed(h)`` would be drowned by ``z`` (ours: ``h`` is multiplied by
    ``sqrt(feature_dim)`` before ``embed``, which gives ``embed(h)`` about
    unit scale per entry, as ``z`` has, from the orthogonal init on).

    The number of blocks follows ``img_size``
    (:func:`~mmmsf.models.generators.blocks.resolution_plan`: 28 px -> 7 x 7
    and 2 blocks, 32 -> 4 x 4 and 3, 128 -> 4 x 4 and 5); the widths are
    ``base_channels * channel_mults[i]`` from the coarsest resolution to the
    finest.

    Args:
        feature_dim (int): Width of the conditioning feature ``h``.
        z_dim (int): Width of the noise ``z``. Defaults to 64.
        img_size (int): Side of the square output images. Defaults to 32.
        out_channels (int): Channels of the images. Defaults to 3.
        base_channels (int): Width unit of the blocks. Defaults to 32.
        channel_mults (Sequence[int], optional): One width multiplier per
            resolution, coarsest first (``num_blocks + 1`` of them).
            Defaults to None: ``min(2 ** (num_blocks - i), 16)``.
        embed_dim (int): Width of ``embed(h)``, a linear map of ``h``.
            Defaults to 64.
        spectral_norm (bool): Spectral norm on every layer, as in BigGAN's
            generator. Defaults to True.
        init_cfg (dict, optional): Initialization config. Defaults to None.
    """

    def __init__(self,
                 feature_dim: int,
                 z_dim: int = 64,
                 img_size: int = 32,
                 out_channels: int = 3,
                 base_channels: int = 32,
                 channel_mults: Optional[Sequence[int]] = None,
                 embed_dim: int = 64,
                 spectral_norm: bool = True,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.feature_dim = int(feature_dim)
        self.z_dim = int(z_dim)
        self.img_size = int(img_size)
        self.out_channels = int(out_channels)
        self.bottom_size, num_blocks = resolution_plan(self.img_size)
        if channel_mults is None:
            channel_mults = [
                min(2**(num_blocks - i), 16) for i in range(num_blocks + 1)
            ]
        mults = check_channel_mults(channel_mults, num_blocks + 1,
                                    'ICGANGenerator')
        widths = [base_channels * m for m in mults]
        cond_dim = self.z_dim + embed_dim
        self.embed = nn.Linear(self.feature_dim, embed_dim)
        self.stem = sn_wrap(
            nn.Linear(cond_dim, widths[0] * self.bottom_size**2),
            spectral_norm)
        self.blocks = nn.ModuleList(
            GeneratorBlock(widths[i], widths[i + 1], cond_dim, spectral_norm)
            for i in range(num_blocks))
        self.out_bn = nn.BatchNorm2d(widths[-1])
        self.out_conv = sn_wrap(
            nn.Conv2d(widths[-1], self.out_channels, 3, 1, 1), spectral_norm)

    def forward(self, z: torch.Tensor, h: torch.Tensor) -> torch.Tensor:
        """Generate images.

        Args:
            z (torch.Tensor): N x z_dim noise.
            h (torch.Tensor): N x feature_dim L2-normalised features of the
                conditioning instances.

        Returns:
            torch.Tensor: N x out_channels x img_size x img_size images in
            ``[-1, 1]``.
        """
        if z.shape[1:] != (self.z_dim, ) or h.shape[1:] != (
                self.feature_dim, ) or len(z) != len(h):
            raise ValueError(
                f'ICGANGenerator expects z of shape (N, {self.z_dim}) and h '
                f'of shape (N, {self.feature_dim}); got z '
                f'{tuple(z.shape)} and h {tuple(h.shape)}.')
        h = h * math.sqrt(self.feature_dim)  # ~unit scale per entry, as z
        cond = torch.cat([z, self.embed(h)], dim=1)  # N x (z_dim + embed)
        x = self.stem(cond).view(len(z), -1, self.bottom_size,
                                 self.bottom_size)
        for block in self.blocks:
            x = block(x, cond)
        return torch.tanh(self.out_conv(F.relu(self.out_bn(x))))
