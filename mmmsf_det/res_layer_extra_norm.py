# Copyright (c) mmmsf contributors. All rights reserved.
from mmcv.cnn import build_norm_layer
from mmdet.models.backbones import ResNet
from mmdet.models.roi_heads.shared_heads import ResLayer
from mmdet.registry import MODELS
from torch import Tensor


@MODELS.register_module()
class ResLayerExtraNorm(ResLayer):
    """The res5 RoI head of the C4 detectors with a norm on its output.

    Self-supervised transfer benchmarks (MoCo, `Mean Shift for
    Self-Supervised Learning <https://arxiv.org/abs/2105.07269>`_) fine-tune
    Faster R-CNN C4 with a normalisation layer after res5, because the
    pretrained features are not calibrated for the detection heads.

    Args:
        *args: Arguments of mmdet's ``ResLayer`` (``depth`` by keyword).
        **kwargs: Keyword arguments of ``ResLayer``.
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        block = ResNet.arch_settings[kwargs['depth']][0]
        channels = 64 * 2**self.stage * block.expansion
        self.add_module('norm', build_norm_layer(self.norm_cfg, channels)[1])

    def forward(self, x: Tensor) -> Tensor:
        """Run res5 then the extra norm.

        Args:
            x (Tensor): N x C x H x W RoI features.

        Returns:
            Tensor: Normalised res5 features.
        """
        x = getattr(self, f'layer{self.stage + 1}')(x)
        return self.norm(x)
