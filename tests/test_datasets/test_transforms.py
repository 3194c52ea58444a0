# Copyright (c) mmmsf contributors. All rights reserved.
import cv2
import mmcv
import numpy as np
import pytest
from mmengine.dataset import Compose
from mmpretrain.registry import TRANSFORMS

import mmmsf  # noqa: F401
from mmmsf.datasets.transforms import adjust_hue


def _img(seed=0):
    return np.random.RandomState(seed).randint(0, 256, (24, 20, 3), np.uint8)


def test_adjust_hue_matches_mmcv_where_mmcv_works():
    img = _img()
    for factor in (0.0, 0.1, 0.37, 0.5):
        assert np.array_equal(adjust_hue(img, factor),
                              mmcv.adjust_hue(img, factor, 'cv2'))


def test_negative_hue_is_the_wrapped_positive_shift():
    img = _img(1)
    # -x shifts by 256 - int(255 x): equal to an explicit reference
    out = adjust_hue(img, -0.1)
    ref = cv2.cvtColor(img, cv2.COLOR_BGR2HSV_FULL)
    ref[..., 0] = (ref[..., 0].astype(int) - 25) % 256
    ref = cv2.cvtColor(ref, cv2.COLOR_HSV2BGR_FULL)
    assert np.array_equal(out, ref)


def test_color_jitter_with_negative_hue_trains_on_numpy2():
    cfg = dict(brightness=0.4, contrast=0.4, saturation=0.4, hue=(-0.1, -0.05))
    ours = TRANSFORMS.build(dict(type='HueSafeColorJitter', **cfg))
    out = ours(dict(img=_img(2)))
    assert out['img'].shape == (24, 20, 3) and out['img'].dtype == np.uint8
    if np.lib.NumpyVersion(np.__version__) >= '2.0.0':
        # why the class exists: mmpretrain's version crashes here
        theirs = TRANSFORMS.build(dict(type='ColorJitter', **cfg))
        with pytest.raises(OverflowError):
            for seed in range(10):
                np.random.seed(seed)
                theirs(dict(img=_img(2)))


def test_imagenet_strong_view_runs_end_to_end():
    from conftest import REPO_ROOT
    from mmengine.config import Config
    from mmengine.registry import init_default_scope
    init_default_scope('mmpretrain')
    cfg = Config.fromfile(f'{REPO_ROOT}/configs/msf_r50_8xb32_200e_in1k.py')
    views = cfg.train_dataloader.dataset.pipeline[1]
    views.view_mode = 's/s'
    pipeline = Compose([views, dict(type='PackInputs')])
    for seed in range(20):  # negative hue draws included
        np.random.seed(seed)
        out = pipeline(dict(img=_img(seed)))
        assert [tuple(v.shape) for v in out['inputs']] == [(3, 224, 224)] * 2
