# Copyright (c) mmmsf contributors. All rights reserved.
from typing import Dict, Optional, Union

import torch
import torch.nn.functional as F
from mmengine.optim import OptimWrapperDict
from mmpretrain.registry import MODELS
from torch import nn

from .base_instance_generator import BaseInstanceGenerator

# settings of the discriminator that must equal the generator's
_SHARED = (('feature_dim', 'feature_dim'), ('img_size', 'img_size'),
           ('in_channels', 'out_channels'))


def random_translation(x: torch.Tensor,
                       ratio: float,
                       pad_value: float = -1.) -> torch.Tensor:
    """Shift each image by a random whole number of pixels.

    The translation of `DiffAugment <https://arxiv.org/abs/2006.10738>`_:
    each image moves by up to ``ratio`` of its side in both directions, the
    uncovered border is filled with ``pad_value``, and gradients flow to the
    pixels that stay in view. Draws from torch's global RNG.

    Args:
        x (torch.Tensor): N x C x H x W images.
        ratio (float): Largest shift as a share of the side.
        pad_value (float): Value of the uncovered border. Defaults to -1
            (black in ``[-1, 1]``).

    Returns:
        torch.Tensor: N x C x H x W shifted images.
    """
    n, _, height, width = x.shape
    max_y, max_x = int(height * ratio + 0.5), int(width * ratio + 0.5)
    if max_y == 0 and max_x == 0:
        return x
    shift_y = torch.randint(-max_y, max_y + 1, (n, 1, 1), device=x.device)
    shift_x = torch.randint(-max_x, max_x + 1, (n, 1, 1), device=x.device)
    rows, cols = torch.meshgrid(torch.arange(height, device=x.device),
                                torch.arange(width, device=x.device),
                                indexing='ij')
    # indices into the image padded by one pixel; outside -> the padding
    rows = (rows + shift_y + 1).clamp(0, height + 1)  # N x H x W
    cols = (cols + shift_x + 1).clamp(0, width + 1)
    padded = F.pad(x, (1, 1, 1, 1), value=pad_value)
    batch = torch.arange(n, device=x.device)[:, None, None]
    return padded.permute(0, 2, 3, 1)[batch, rows, cols].permute(0, 3, 1, 2)


@MODELS.register_module()
class ICGAN(BaseInstanceGenerator):
    """Instance-conditioned GAN (`IC-GAN <https://arxiv.org/abs/2109.05070>`_)
    trained as the view generator of `Local Manifold Augmentation
    <https://arxiv.org/abs/2211.02798>`_.

    A real pair is ``(x_j, h_i)``: a neighbour ``x_j`` of instance ``i`` and
    ``i``'s L2-normalised feature; a fake pair is ``(G(z, h_i), h_i)``. Both
    networks are trained with the hinge loss

    .. math::

        L_D = E[\\max(0, 1 - D(x_j, h_i))] + E[\\max(0, 1 + D(G(z, h_i),
        h_i))], \\qquad L_G = -E[D(G(z, h_i), h_i)]

    with ``num_dis_steps`` discriminator steps per generator step (on the
    same real batch, fresh ``z`` each), optionally through a random
    translation of real and fake images alike.

    With ``mode_seeking_weight`` ``w > 0`` the generator step draws two
    noises ``z_1, z_2`` per instance and adds the mode-seeking term of
    `MSGAN <https://arxiv.org/abs/1903.05628>`_,

    .. math::

        L_{ms} = w \\, E_i\\left[\\frac{\\lVert z_1 - z_2 \\rVert_1 / d_z}
        {\\lVert G(z_1, h_i) - G(z_2, h_i) \\rVert_1 / d_x + \\epsilon}
        \\right],

    which punishes a generator that maps different noises of one instance
    to the same image (conditional mode collapse); the hinge loss then
    covers both fakes. After each generator step
    the EMA generator (``generator_ema``, see
    :class:`BaseInstanceGenerator`), the one LMA samples from, is updated.

    Args:
        generator (dict): Config of the generator (``ICGANGenerator``).
        discriminator (dict): Config of the discriminator
            (``ProjectionDiscriminator``); ``feature_dim``, ``img_size`` and
            ``in_channels`` default to the generator's.
        ema_momentum (float): Weight of the new generator in each EMA
            update (mmengine's convention). Defaults to 0.001.
        ema_start (int): Generator steps during which the EMA copies the
            generator instead of averaging it. Defaults to 0.
        num_dis_steps (int): Discriminator steps per generator step.
            Defaults to 1.
        translation_ratio (float): Largest random shift of real and fake
            images as a share of their side; 0 disables it.
            Defaults to 0.
        mode_seeking_weight (float): Weight ``w`` of the mode-seeking
            term; 0 disables it (one fake per instance). Defaults to 0.
        data_preprocessor (dict, optional): Moves the batch to the device.
            Defaults to None.
        init_cfg (dict, optional): Initialization config. Defaults to None.
    """

    def __init__(self,
                 generator: dict,
                 discriminator: dict,
                 ema_momentum: float = 0.001,
                 ema_start: int = 0,
                 num_dis_steps: int = 1,
                 translation_ratio: float = 0.,
                 mode_seeking_weight: float = 0.,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        if int(num_dis_steps) < 1:
            raise ValueError(f'ICGAN: num_dis_steps must be >= 1, got '
                             f'{num_dis_steps!r}.')
        if not 0 <= translation_ratio < 0.5:
            raise ValueError(f'ICGAN: translation_ratio must be in [0, 0.5),'
                             f' got {translation_ratio!r}.')
        if not mode_seeking_weight >= 0:
            raise ValueError(f'ICGAN: mode_seeking_weight must be >= 0, got '
                             f'{mode_seeking_weight!r}.')
        super().__init__(generator,
                         ema_momentum=ema_momentum,
                         ema_start=ema_start,
                         data_preprocessor=data_preprocessor,
                         init_cfg=init_cfg)
        discriminator = dict(discriminator)
        for d_key, g_key in _SHARED:
            discriminator.setdefault(d_key, getattr(self.generator, g_key))
        self.discriminator: nn.Module = MODELS.build(discriminator)
        for d_key, g_key in _SHARED:
            d_value = getattr(self.discriminator, d_key)
            g_value = getattr(self.generator, g_key)
            if d_value != g_value:
                raise ValueError(
                    f'ICGAN: model.discriminator.{d_key}={d_value} differs '
                    f'from model.generator.{g_key}={g_value}; drop it from '
                    f"the discriminator config (it defaults to the "
                    f"generator's).")
        self.num_dis_steps = int(num_dis_steps)
        self.translation_ratio = float(translation_ratio)
        self.mode_seeking_weight = float(mode_seeking_weight)

    def _augment(self, x: torch.Tensor) -> torch.Tensor:
        if self.translation_ratio == 0:
            return x
        return random_translation(x, self.translation_ratio)

    def train_step(self, data: Union[dict, tuple, list],
                   optim_wrapper: OptimWrapperDict) -> Dict[str, torch.Tensor]:
        """One generator step after ``num_dis_steps`` discriminator steps.

        Args:
            data (dict): The collated batch (``inputs``, ``feature``).
            optim_wrapper (OptimWrapperDict): Wrappers under the keys
                ``generator`` and ``discriminator``.

        Returns:
            dict[str, torch.Tensor]: ``d_loss``, ``g_loss``, the mean logits
            ``d_real`` and ``d_fake`` of the last discriminator step,
            ``ms_loss`` (the weighted mode-seeking term, included in
            ``g_loss``) when ``mode_seeking_weight > 0``, and ``loss``
            (the sum of ``d_loss`` and ``g_loss``, the value whose
            finiteness ``NonFiniteLossHook`` checks).
        """
        data = self.data_preprocessor(data, True)
        real = self.real_images(data['inputs'])
        feature = data['feature'].float()  # N x D
        d_optim, g_optim = (optim_wrapper['discriminator'],
                            optim_wrapper['generator'])
        for _ in range(self.num_dis_steps):
            with d_optim.optim_context(self.discriminator):
                with torch.no_grad():
                    fake = self.generator(self.noise(len(real), real.device),
                                          feature)
                d_real = self.discriminator(self._augment(real), feature)
                d_fake = self.discriminator(self._augment(fake), feature)
                d_loss = F.relu(1 - d_real).mean() + F.relu(1 + d_fake).mean()
            d_optim.update_params(d_loss)

        # no gradients into D from the generator's step
        self.discriminator.requires_grad_(False)
        try:
            with g_optim.optim_context(self.generator):
                # two fakes per instance for the mode-seeking term
                copies = 2 if self.mode_seeking_weight > 0 else 1
                cond = feature.repeat(copies, 1)  # copies*N x D
                z = self.noise(len(cond), real.device)  # copies*N x z_dim
                fake = self.generator(z, cond)  # copies*N x C x H x W
                g_loss = -self.discriminator(self._augment(fake), cond).mean()
                if copies == 2:
                    ms_loss = self._mode_seeking_loss(z, fake)
                    g_loss = g_loss + ms_loss
            g_optim.update_params(g_loss)
        finally:
            self.discriminator.requires_grad_(True)
        self.update_ema()
        out = dict(loss=(d_loss + g_loss).detach(),
                   d_loss=d_loss.detach(),
                   g_loss=g_loss.detach(),
                   d_real=d_real.detach().mean(),
                   d_fake=d_fake.detach().mean())
        if self.mode_seeking_weight > 0:
            out['ms_loss'] = ms_loss.detach()
        return out

    def _mode_seeking_loss(self, z: torch.Tensor,
                           fake: torch.Tensor) -> torch.Tensor:
        """The weighted mode-seeking term of two fakes per instance.

        Args:
            z (torch.Tensor): 2N x z_dim noise, instance ``i``'s two draws
                at rows ``i`` and ``N + i``.
            fake (torch.Tensor): 2N x C x H x W images drawn from ``z``.

        Returns:
            torch.Tensor: The scalar term.
        """
        num = len(z) // 2
        z_dist = (z[:num] - z[num:]).abs().flatten(1).mean(1)  # N
        x_dist = (fake[:num] - fake[num:]).abs().flatten(1).mean(1)  # N
        return self.mode_seeking_weight * (z_dist / (x_dist + 1e-5)).mean()
