# Copyright (c) mmmsf contributors. All rights reserved.
from typing import Dict, Optional, Union

import torch
import torch.nn.functional as F
from mmengine.optim import OptimWrapper
from mmpretrain.registry import MODELS
from torch import nn

from ..generators.blocks import DiscriminatorBlock, resolution_plan
from .base_instance_generator import BaseInstanceGenerator


@MODELS.register_module()
class ConditionalVAE(BaseInstanceGenerator):
    """A conditional VAE with the IC-GAN generator as its decoder: a
    fallback view generator, not LMA's method (which trains an IC-GAN,
    :class:`ICGAN`).

    It fits the same neighbourhoods: an encoder maps a neighbour ``x_j``
    and the feature ``h_i`` to ``q(z | x_j, h_i) = N(mu, sigma^2)``, the
    decoder ``G(z, h_i)`` reconstructs ``x_j``, and the loss is the negative
    ELBO

    .. math::

        L = \\lVert G(z, h_i) - x_j \\rVert_2^2 + \\beta\\,
        KL(q(z | x_j, h_i) \\,\\|\\, N(0, I))

    (squared error summed over pixels in ``[-1, 1]``, ``beta =
    kl_weight``). At sampling time ``z ~ N(0, I)``, as for the GAN, so the
    EMA decoder loads and samples exactly like an IC-GAN generator
    (:func:`mmmsf.checkpoint.load_generator`). It trains fast and stably
    but its samples are blurrier than a GAN's.

    Args:
        generator (dict): Config of the decoder (``ICGANGenerator``).
        base_channels (int): Width unit of the encoder's residual
            down-blocks. Defaults to 32.
        kl_weight (float): Weight ``beta`` of the KL term. Defaults to 1.
        ema_momentum (float): Weight of the new decoder in each EMA update.
            Defaults to 0.001.
        ema_start (int): Steps during which the EMA copies the decoder.
            Defaults to 0.
        data_preprocessor (dict, optional): Moves the batch to the device.
            Defaults to None.
        init_cfg (dict, optional): Initialization config. Defaults to None.
    """

    def __init__(self,
                 generator: dict,
                 base_channels: int = 32,
                 kl_weight: float = 1.,
                 ema_momentum: float = 0.001,
                 ema_start: int = 0,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(generator,
                         ema_momentum=ema_momentum,
                         ema_start=ema_start,
                         data_preprocessor=data_preprocessor,
                         init_cfg=init_cfg)
        _, num_blocks = resolution_plan(self.generator.img_size)
        widths = [self.generator.out_channels] + [
            base_channels * min(2**(i + 1), 16) for i in range(num_blocks)
        ]
        self.encoder = nn.Sequential(*[
            DiscriminatorBlock(widths[i], widths[i + 1], i > 0, False)
            for i in range(num_blocks)
        ])
        # pooled image features and h -> mean and log-variance of z
        self.posterior = nn.Linear(widths[-1] + self.generator.feature_dim,
                                   2 * self.generator.z_dim)
        self.kl_weight = float(kl_weight)

    def loss(self, real: torch.Tensor,
             feature: torch.Tensor) -> Dict[str, torch.Tensor]:
        """The negative ELBO of a batch.

        Args:
            real (torch.Tensor): N x C x H x W neighbours in ``[-1, 1]``.
            feature (torch.Tensor): N x D features of their instances.

        Returns:
            dict[str, torch.Tensor]: ``loss_rec`` and ``loss_kl``
            (weighted), per image.
        """
        pooled = F.relu(self.encoder(real)).mean(dim=(2, 3))  # N x C
        mu, logvar = self.posterior(torch.cat([pooled, feature],
                                              1)).chunk(2, dim=1)
        z = mu + torch.randn_like(mu) * (0.5 * logvar).exp()
        recon = self.generator(z, feature)
        rec = (recon - real).pow(2).flatten(1).sum(1).mean()
        kl = 0.5 * (mu.pow(2) + logvar.exp() - 1 - logvar).sum(1).mean()
        return dict(loss_rec=rec, loss_kl=self.kl_weight * kl)

    def train_step(self, data: Union[dict, tuple, list],
                   optim_wrapper: OptimWrapper) -> Dict[str, torch.Tensor]:
        """One step of encoder and decoder, then the EMA update.

        Args:
            data (dict): The collated batch (``inputs``, ``feature``).
            optim_wrapper (OptimWrapper): One wrapper for the whole model.

        Returns:
            dict[str, torch.Tensor]: ``loss``, ``loss_rec``, ``loss_kl``.
        """
        data = self.data_preprocessor(data, True)
        with optim_wrapper.optim_context(self):
            losses = self.loss(self.real_images(data['inputs']),
                               data['feature'].float())
        loss, log_vars = self.parse_losses(losses)
        optim_wrapper.update_params(loss)
        self.update_ema()
        return log_vars
