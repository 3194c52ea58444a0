# Copyright (c) mmmsf contributors. All rights reserved.
import logging

from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmengine.runner import Runner
from mmpretrain.registry import HOOKS
from mmpretrain.utils import get_ori_model

from mmmsf.checkpoint import load_backbone_checkpoint


@HOOKS.register_module()
class StrictPretrainedHook(Hook):
    """Make ``init_cfg=dict(type='Pretrained', ...)`` strict and loud.

    mmengine's ``Pretrained`` initialiser loads with ``strict=False``: a
    checkpoint whose keys do not match (another architecture, a renamed
    prefix) leaves the backbone randomly initialised with a mere warning,
    and a linear evaluation of `MSF <https://arxiv.org/abs/2105.07269>`_
    or BYOL would then score a random network. Before the first step this
    hook loads the same checkpoint again through
    :func:`~mmmsf.checkpoint.load_backbone_checkpoint`, which refuses any
    missing, unexpected or mis-shaped key and logs what it loaded. A module
    without a ``Pretrained`` init config is reported, loudly, as randomly
    initialised. Resumed runs are not checked again.

    Args:
        module (str): Attribute of the model to check. Defaults to
            ``'backbone'``.
    """

    # before any hook (e.g. FeatureStatisticsHook) uses the backbone
    priority = 'VERY_HIGH'

    def __init__(self, module: str = 'backbone') -> None:
        self.module = module

    def before_train(self, runner: Runner) -> None:
        """Load the pretrained checkpoint strictly (fresh runs only)."""
        if runner.iter > 0:
            return
        module = getattr(get_ori_model(runner.model), self.module)
        init_cfg = module.init_cfg
        init_cfgs = init_cfg if isinstance(init_cfg, list) else [init_cfg]
        pretrained = [
            c for c in init_cfgs
            if isinstance(c, dict) and c.get('type') == 'Pretrained'
        ]
        if not pretrained:
            print_log(
                f'StrictPretrainedHook: NO pretrained weights are loaded, '
                f'the {self.module} is RANDOMLY initialised '
                f'(init_cfg={init_cfg}).',
                logger='current',
                level=logging.WARNING)
            return
        cfg = pretrained[-1]
        load_backbone_checkpoint(module, cfg['checkpoint'], cfg.get('prefix'))
