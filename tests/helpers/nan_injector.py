# Copyright (c) mmmsf contributors. All rights reserved.
"""Test-only hook: poisons the weights so that one iteration's loss is NaN."""
import os

import torch
from mmengine.hooks import Hook
from mmpretrain.registry import HOOKS
from mmpretrain.utils import get_ori_model


@HOOKS.register_module()
class NaNInjectorHook(Hook):
    """Fill the first backbone weight with NaN before iteration
    ``MMMSF_TEST_NAN_AT_ITER`` (1-based)."""

    def before_train_iter(self, runner, batch_idx, data_batch=None):
        if runner.iter + 1 == int(os.environ.get('MMMSF_TEST_NAN_AT_ITER', 0)):
            with torch.no_grad():
                next(get_ori_model(runner.model).backbone.parameters()).fill_(
                    float('nan'))
