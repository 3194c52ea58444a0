# Copyright (c) mmmsf contributors. All rights reserved.
from typing import Optional, Sequence

import torch
import torch.nn.functional as F
from mmpretrain.registry import MODELS
from torch import nn

from mmmsf.checkpoint import load_backbone_checkpoint
from .cache import digest, file_digest

# mmpretrain's ImageNet data preprocessor (RGB order)
IMAGENET_MEAN = (123.675, 116.28, 103.53)
IMAGENET_STD = (58.395, 57.12, 57.375)


@MODELS.register_module()
class BackboneFeatureExtractor(nn.Module):
    """Globally pooled features of a pretrained backbone, for LMA.

    Loads the backbone of an MSF checkpoint, of any mmpretrain /
    mmselfsup checkpoint with ``backbone.*`` keys or a plain backbone state
    dict, strictly (:func:`mmmsf.checkpoint.load_backbone_checkpoint`
    refuses any missing, unexpected or mis-shaped key). The backbone stays
    frozen in eval mode; the features are the global average of its last
    stage, L2-normalised.

    Args:
        checkpoint (str): Path of the checkpoint.
        backbone (dict, optional): Config of the backbone. Defaults to
            ``dict(type='ResNet', depth=50)`` when None.
        prefix (str, optional): Prefix of the backbone's keys in the
            checkpoint (``'target_net.module.0.'`` for MSF's momentum
            encoder). Defaults to ``'backbone.'``.
        resize (int, optional): Resize images to this square size first.
            Defaults to None (as given).
        mean (Sequence[float]): Pixel mean, RGB. Defaults to ImageNet's.
        std (Sequence[float]): Pixel std, RGB. Defaults to ImageNet's.
        to_rgb (bool): Images arrive BGR (as mmcv loads them) and are
            flipped to RGB. Defaults to True.
    """

    def __init__(self,
                 checkpoint: str,
                 backbone: Optional[dict] = None,
                 prefix: Optional[str] = 'backbone.',
                 resize: Optional[int] = None,
                 mean: Sequence[float] = IMAGENET_MEAN,
                 std: Sequence[float] = IMAGENET_STD,
                 to_rgb: bool = True) -> None:
        super().__init__()
        backbone = backbone or dict(type='ResNet', depth=50)
        self.backbone = MODELS.build(backbone)
        load_backbone_checkpoint(self.backbone, checkpoint, prefix=prefix)
        self.backbone.requires_grad_(False)
        self.register_buffer('mean', torch.tensor(mean).view(1, -1, 1, 1))
        self.register_buffer('std', torch.tensor(std).view(1, -1, 1, 1))
        self.resize, self.to_rgb = resize, to_rgb
        self.key = dict(extractor='BackboneFeatureExtractor',
                        backbone=backbone,
                        prefix=prefix,
                        resize=resize,
                        mean=list(mean),
                        std=list(std),
                        to_rgb=to_rgb,
                        weights=file_digest(checkpoint))
        self.in_channels = len(mean)
        self.img_size = None  # any size
        self.eval()
        probe = torch.zeros(1, self.in_channels, resize or 32, resize or 32)
        self.feature_dim = self(probe).shape[1]

    def train(self, mode: bool = True) -> 'BackboneFeatureExtractor':
        """Stay in eval mode: the features must not drift with BN stats."""
        return super().train(False)

    def fingerprint(self) -> str:
        """A hash of the config and of the checkpoint's bytes."""
        return digest(self.key)

    def check_image_shape(self, shape: tuple) -> None:
        """Raise unless images of ``shape`` (C, H, W) have our channels."""
        if shape[0] != self.in_channels:
            raise ValueError(
                f'BackboneFeatureExtractor expects {self.in_channels}-channel'
                f' images (mean/std) but got shape {tuple(shape)} (C, H, W).')

    @torch.no_grad()
    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """Features of a batch.

        Args:
            images (torch.Tensor): N x C x H x W in [0, 255] (uint8 or
                float).

        Returns:
            torch.Tensor: N x feature_dim, L2-normalised.
        """
        self.check_image_shape(images.shape[1:])
        x = images.to(self.mean)
        if self.to_rgb and x.shape[1] == 3:
            x = x.flip(1)
        if self.resize:
            x = F.interpolate(x,
                              size=(self.resize, self.resize),
                              mode='bilinear',
                              align_corners=False)
        x = self.backbone((x - self.mean) / self.std)[-1]  # N x C' x h x w
        return F.normalize(x.mean((2, 3)), dim=1)
