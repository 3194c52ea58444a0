# Copyright (c) mmmsf contributors. All rights reserved.
"""Building blocks shared by the LMA generator and discriminator.

BigGAN-flavoured residual blocks (`Large Scale GAN Training for High Fidelity
Natural Image Synthesis <https://arxiv.org/abs/1809.11096>`_): the
generator's blocks double the resolution and normalise with a conditional
BatchNorm, the discriminator's halve it; both may be spectrally normalised.
"""
from typing import List, Sequence, Tuple

import torch
import torch.nn.functional as F
from mmengine.model import BaseModule
from torch import nn
from torch.nn.utils import parametrize
from torch.nn.utils.parametrizations import spectral_norm

MIN_BOTTOM_SIZE = 4  # the coarsest feature map is at least 4 x 4


def resolution_plan(img_size: int) -> Tuple[int, int]:
    """The coarsest map size and the number of 2x blocks for ``img_size``.

    The image is halved while it stays even and at least
    ``MIN_BOTTOM_SIZE`` pixels wide: 28 -> (7, 2), 32 -> (4, 3),
    64 -> (4, 4), 128 -> (4, 5).

    Args:
        img_size (int): Side of the square images.

    Returns:
        tuple[int, int]: ``(bottom_size, num_blocks)``.

    Raises:
        ValueError: If ``img_size`` cannot be halved even once.
    """
    size, num_blocks = int(img_size), 0
    while size % 2 == 0 and size // 2 >= MIN_BOTTOM_SIZE:
        size, num_blocks = size // 2, num_blocks + 1
    if num_blocks == 0:
        raise ValueError(
            f'img_size={img_size!r}: the generator needs an even image side '
            f'of at least {2 * MIN_BOTTOM_SIZE} pixels (28 or 32 for the '
            f'digits, 64 or 128 for ImageNet-like data).')
    return size, num_blocks


def check_channel_mults(channel_mults: Sequence[int], num: int,
                        owner: str) -> List[int]:
    """``channel_mults`` as a list of ``num`` positive ints, or an error
    naming the setting."""
    mults = [int(m) for m in channel_mults]
    if len(mults) != num or min(mults) < 1:
        raise ValueError(
            f'{owner}: channel_mults={list(channel_mults)} must hold {num} '
            f'positive widths (one per resolution of this img_size); leave '
            f'it None for the default.')
    return mults


def sn_wrap(module: nn.Module, enabled: bool) -> nn.Module:
    """``module`` spectrally normalised when ``enabled``."""
    return spectral_norm(module) if enabled else module


@torch.no_grad()
def orthogonal_init(root: nn.Module, num_power_iters: int = 15) -> None:
    """BigGAN's initialisation, in place: orthogonal weights and zero
    biases for every conv and linear layer under ``root``.

    Spectrally normalised layers get new power-iteration vectors for
    their new weights. It runs in ``init_weights`` (the Runner calls it
    before training), not in the constructors: the QR decompositions take
    seconds for 128 px widths, and a generator built to load a checkpoint
    (in every data-loading worker of an LMA run) does not need them.

    Args:
        root (nn.Module): The module to initialise.
        num_power_iters (int): Power iterations for the spectral norm's
            vectors. Defaults to 15 (as torch's ``spectral_norm``).
    """
    for module in root.modules():
        if not isinstance(module, (nn.Conv2d, nn.Linear)):
            continue
        spectral = parametrize.is_parametrized(module, 'weight')
        weight = (module.parametrizations.weight.original
                  if spectral else module.weight)
        weight.copy_(nn.init.orthogonal_(torch.empty_like(weight)))
        if module.bias is not None:
            module.bias.zero_()
        if not spectral:
            continue
        matrix = weight.flatten(1)  # out x in
        u = F.normalize(torch.randn(len(matrix)).to(matrix), dim=0)
        for _ in range(num_power_iters):
            v = F.normalize(matrix.t() @ u, dim=0)
            u = F.normalize(matrix @ v, dim=0)
        for norm in module.parametrizations.weight:
            norm._u.copy_(u)
            norm._v.copy_(v)


class OrthogonalInitModule(BaseModule):
    """A :class:`~mmengine.model.BaseModule` that gets BigGAN's orthogonal
    initialisation (:func:`orthogonal_init`) unless an ``init_cfg`` is
    given; the Runner calls :meth:`init_weights` before training."""

    def init_weights(self) -> None:
        """Orthogonal weights and zero biases, once, without an
        ``init_cfg``."""
        first = not self.is_init
        super().init_weights()
        if first and self.init_cfg is None:
            orthogonal_init(self)


class ConditionalBatchNorm2d(nn.Module):
    """BatchNorm whose gain and bias are linear maps of a condition.

    ``y = BN(x) * (1 + W_g c) + W_b c`` with ``c`` the condition vector
    (``[z, embed(h)]`` in the generator).

    Args:
        num_features (int): Channels of ``x``.
        cond_dim (int): Width of the condition.
        spectral (bool): Spectral norm on the two maps. Defaults to True.
    """

    def __init__(self,
                 num_features: int,
                 cond_dim: int,
                 spectral: bool = True) -> None:
        super().__init__()
        self.bn = nn.BatchNorm2d(num_features, affine=False)
        self.gain = sn_wrap(nn.Linear(cond_dim, num_features, bias=False),
                            spectral)
        self.bias = sn_wrap(nn.Linear(cond_dim, num_features, bias=False),
                            spectral)

    def forward(self, x: torch.Tensor, cond: torch.Tensor) -> torch.Tensor:
        gain = 1 + self.gain(cond)[:, :, None, None]  # N x C x 1 x 1
        bias = self.bias(cond)[:, :, None, None]
        return self.bn(x) * gain + bias


class GeneratorBlock(nn.Module):
    """Residual up-block: CBN-ReLU-up-conv-CBN-ReLU-conv plus an
    up-sampled 1x1 shortcut; doubles the resolution.

    Args:
        in_channels (int): Input channels.
        out_channels (int): Output channels.
        cond_dim (int): Width of the condition of the two CBNs.
        spectral (bool): Spectral norm on convs and CBN maps.
            Defaults to True.
    """

    def __init__(self,
                 in_channels: int,
                 out_channels: int,
                 cond_dim: int,
                 spectral: bool = True) -> None:
        super().__init__()
        self.bn1 = ConditionalBatchNorm2d(in_channels, cond_dim, spectral)
        self.conv1 = sn_wrap(nn.Conv2d(in_channels, out_channels, 3, 1, 1),
                             spectral)
        self.bn2 = ConditionalBatchNorm2d(out_channels, cond_dim, spectral)
        self.conv2 = sn_wrap(nn.Conv2d(out_channels, out_channels, 3, 1, 1),
                             spectral)
        self.shortcut = sn_wrap(nn.Conv2d(in_channels, out_channels, 1),
                                spectral)

    def forward(self, x: torch.Tensor, cond: torch.Tensor) -> torch.Tensor:
        out = F.interpolate(F.relu(self.bn1(x, cond)), scale_factor=2)
        out = self.conv2(F.relu(self.bn2(self.conv1(out), cond)))
        return out + self.shortcut(F.interpolate(x, scale_factor=2))


class DiscriminatorBlock(nn.Module):
    """Residual down-block: (ReLU-)conv-ReLU-conv-avgpool plus a pooled
    1x1 shortcut; halves the resolution.

    Args:
        in_channels (int): Input channels.
        out_channels (int): Output channels.
        preactivation (bool): ReLU before the first conv (False for the
            block that sees the image). Defaults to True.
        spectral (bool): Spectral norm on the convs. Defaults to True.
    """

    def __init__(self,
                 in_channels: int,
                 out_channels: int,
                 preactivation: bool = True,
                 spectral: bool = True) -> None:
        super().__init__()
        self.preactivation = preactivation
        self.conv1 = sn_wrap(nn.Conv2d(in_channels, out_channels, 3, 1, 1),
                             spectral)
        self.conv2 = sn_wrap(nn.Conv2d(out_channels, out_channels, 3, 1, 1),
                             spectral)
        self.shortcut = sn_wrap(nn.Conv2d(in_channels, out_channels, 1),
                                spectral)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = F.relu(x) if self.preactivation else x
        out = self.conv2(F.relu(self.conv1(out)))
        # pool-then-1x1 on the image, 1x1-then-pool after (as in BigGAN)
        if self.preactivation:
            shortcut = F.avg_pool2d(self.shortcut(x), 2)
        else:
            shortcut = self.shortcut(F.avg_pool2d(x, 2))
        return F.avg_pool2d(out, 2) + shortcut
