# Copyright (c) mmmsf contributors. All rights reserved.
"""Test-only hook: records what each rank enqueues and dumps its bank."""
import os.path as osp

import torch
from mmengine.dist import get_rank
from mmengine.hooks import Hook
from mmpretrain.registry import HOOKS
from mmpretrain.utils import get_ori_model


@HOOKS.register_module()
class BankProbeHook(Hook):
    """Save ``bank_rank{r}.pth`` with the bank and this rank's batches."""

    def before_train(self, runner):
        memory = get_ori_model(runner.model).memory
        self.local = []
        enqueue = memory.enqueue

        def recording_enqueue(feats, labels=None):
            self.local.append(feats.detach().cpu().clone())
            return enqueue(feats, labels)

        memory.enqueue = recording_enqueue

    def after_train(self, runner):
        memory = get_ori_model(runner.model).memory
        torch.save(
            dict(state={
                k: v.cpu()
                for k, v in memory.state_dict().items()
            },
                 local=self.local),
            osp.join(runner.work_dir, f'bank_rank{get_rank()}.pth'))
