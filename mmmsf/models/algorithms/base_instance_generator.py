# Copyright (c) mmmsf contributors. All rights reserved.
from typing import Optional

import torch
from mmengine.model import BaseModel, ExponentialMovingAverage
from mmpretrain.registry import MODELS
from torch import nn


class BaseInstanceGenerator(BaseModel):
    """An instance-conditioned generator ``G(z, h)`` and its exponential
    moving average: what LMA's view operator samples from.

    Subclasses add the training (:class:`ICGAN`: a discriminator and the
    hinge loss; :class:`ConditionalVAE`: an encoder and the ELBO) in their
    ``train_step``. ``generator_ema`` is mmengine's
    :class:`~mmengine.model.ExponentialMovingAverage` of ``generator``

    .. math::

        G_{ema} \\leftarrow (1 - m) G_{ema} + m G

    with ``m = ema_momentum`` (mmengine's convention: ``1 - decay``); its
    BatchNorm statistics are copied from the generator. Checkpoints hold
    ``generator.*`` and ``generator_ema.module.*``, which
    :func:`mmmsf.checkpoint.load_generator` reads.

    The training batch is the collated ``InstanceNeighbourhoodDataset``
    item: ``inputs`` N x C x H x W uint8 images and ``feature`` N x D
    L2-normalised features. All draws use torch's global RNG, which the
    Runner seeds.

    Args:
        generator (dict): Config of the generator (``ICGANGenerator``).
        ema_momentum (float): Weight of the new generator in each EMA
            update. Defaults to 0.001.
        ema_start (int): Generator steps during which the EMA copies the
            generator instead of averaging it. Defaults to 0.
        data_preprocessor (dict, optional): Moves the batch to the device.
            Defaults to None.
        init_cfg (dict, optional): Initialization config. Defaults to None.
    """

    def __init__(self,
                 generator: dict,
                 ema_momentum: float = 0.001,
                 ema_start: int = 0,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(data_preprocessor=data_preprocessor,
                         init_cfg=init_cfg)
        self.generator: nn.Module = MODELS.build(generator)
        self.generator_ema = ExponentialMovingAverage(self.generator,
                                                      momentum=ema_momentum)
        self.ema_start = int(ema_start)

    def real_images(self, inputs: torch.Tensor) -> torch.Tensor:
        """uint8 N x C x H x W in [0, 255] -> float in [-1, 1], checked
        against the generator's image size and channels."""
        expected = (self.generator.out_channels, self.generator.img_size,
                    self.generator.img_size)
        if inputs.shape[1:] != expected:
            raise ValueError(
                f'{type(self).__name__}: the training images are '
                f'{tuple(inputs.shape[1:])} (C, H, W) but the generator '
                f'makes {expected}; set model.generator.img_size / '
                f'out_channels to the data.')
        return inputs.float() / 127.5 - 1

    def noise(self, num: int, device: torch.device) -> torch.Tensor:
        """``num`` x z_dim standard normal noise (global RNG)."""
        return torch.randn(num, self.generator.z_dim, device=device)

    @torch.no_grad()
    def update_ema(self) -> None:
        """One EMA update after a generator step."""
        ema = self.generator_ema
        if int(ema.steps) < self.ema_start:
            # BigGAN starts averaging late: until then the EMA is G
            ema.module.load_state_dict(self.generator.state_dict())
            ema.steps += 1
        else:
            ema.update_parameters(self.generator)

    @torch.no_grad()
    def generate(self,
                 feature: torch.Tensor,
                 z: Optional[torch.Tensor] = None) -> torch.Tensor:
        """Sample views from the EMA generator (in eval mode).

        Args:
            feature (torch.Tensor): N x D L2-normalised features.
            z (torch.Tensor, optional): N x z_dim noise. Defaults to None
                (drawn from torch's global RNG).

        Returns:
            torch.Tensor: N x C x H x W images in ``[-1, 1]``.
        """
        generator = self.generator_ema.module
        was_training = generator.training
        generator.eval()
        try:
            if z is None:
                z = self.noise(len(feature), feature.device)
            return generator(z, feature.float())
        finally:
            generator.train(was_training)

    def forward(self,
                inputs: Optional[torch.Tensor] = None,
                feature: Optional[torch.Tensor] = None,
                mode: str = 'tensor',
                **kwargs) -> torch.Tensor:
        """Samples of the EMA generator for ``feature`` (modes ``'tensor'``
        and ``'predict'``); training goes through ``train_step``.

        Args:
            inputs (torch.Tensor, optional): Unused (the batch's images).
            feature (torch.Tensor): N x D L2-normalised features.
            mode (str): ``'tensor'`` or ``'predict'``. Defaults to
                ``'tensor'``.
            **kwargs: Other keys of the batch (ignored).

        Returns:
            torch.Tensor: N x C x H x W images in ``[-1, 1]``.
        """
        if mode not in ('tensor', 'predict') or feature is None:
            raise ValueError(
                f'{type(self).__name__}.forward samples the EMA generator '
                f'(mode "tensor" or "predict" with a `feature`); got '
                f'mode={mode!r}. It has no loss mode: training runs through '
                f'{type(self).__name__}.train_step.')
        return self.generate(feature)
