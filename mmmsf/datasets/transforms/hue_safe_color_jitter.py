# Copyright (c) mmmsf contributors. All rights reserved.
from typing import Dict

import cv2
import mmcv
import numpy as np
from mmpretrain.datasets.transforms import ColorJitter
from mmpretrain.registry import TRANSFORMS


def adjust_hue(img: np.ndarray, hue_factor: float) -> np.ndarray:
    """Rotate the hue of a BGR uint8 image, valid under numpy 2.

    Same result as ``mmcv.adjust_hue(img, hue_factor, backend='cv2')``,
    whose ``np.uint8(hue_factor * 255)`` raises ``OverflowError`` for a
    negative factor under numpy >= 2; the shift is taken modulo 256 instead.

    Args:
        img (np.ndarray): H x W x 3 BGR image.
        hue_factor (float): Hue shift in [-0.5, 0.5].

    Returns:
        np.ndarray: The hue-shifted image, same dtype as ``img``.
    """
    if not -0.5 <= hue_factor <= 0.5:
        raise ValueError(f'hue_factor {hue_factor} is not in [-0.5, 0.5].')
    dtype = img.dtype
    hsv = cv2.cvtColor(img.astype(np.uint8), cv2.COLOR_BGR2HSV_FULL)
    shift = int(hue_factor * 255) % 256  # what uint8 wrap-around meant
    hsv[...,
        0] = ((hsv[..., 0].astype(np.int16) + shift) % 256).astype(np.uint8)
    return cv2.cvtColor(hsv, cv2.COLOR_HSV2BGR_FULL).astype(dtype)


@TRANSFORMS.register_module()
class HueSafeColorJitter(ColorJitter):
    """mmpretrain's ``ColorJitter`` with a hue shift that works on numpy 2.

    mmcv 2.0's ``adjust_hue`` (both backends) crashes whenever the sampled
    hue shift is negative under numpy >= 2, i.e. within the first batches of
    any pipeline with ``hue > 0`` such as the strong view of `Mean Shift for
    Self-Supervised Learning <https://arxiv.org/abs/2105.07269>`_. Same
    arguments and random draws as ``ColorJitter``; only the hue step is
    replaced by :func:`adjust_hue`.
    """

    def transform(self, results: Dict) -> Dict:
        """Jitter brightness, contrast, saturation and hue in random order.

        Args:
            results (dict): Results with ``img`` (BGR uint8).

        Returns:
            dict: Results with the jittered ``img``.
        """
        img = results['img']
        order, brightness, contrast, saturation, hue = self._rand_params()
        for index in order:
            if index == 0 and brightness is not None:
                img = mmcv.adjust_brightness(img, brightness, self.backend)
            elif index == 1 and contrast is not None:
                img = mmcv.adjust_contrast(img, contrast, self.backend)
            elif index == 2 and saturation is not None:
                img = mmcv.adjust_color(img,
                                        alpha=saturation,
                                        backend=self.backend)
            elif index == 3 and hue is not None:
                img = adjust_hue(img, hue)
        results['img'] = img
        return results
