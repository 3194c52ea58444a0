# Copyright (c) mmmsf contributors. All rights reserved.
"""Test-only hook: records every loss; can stall at one iteration."""
import json
import os
import os.path as osp
import time

from mmengine.dist import get_rank
from mmengine.hooks import Hook
from mmpretrain.registry import HOOKS
from mmpretrain.utils import get_ori_model


@HOOKS.register_module()
class LossRecorderHook(Hook):
    """Append ``{"iter", "rank", "loss", "ptr", "idx"}`` lines to
    ``losses.jsonl`` in the work dir.

    With ``MMMSF_TEST_BLOCK_AT_ITER=k`` it writes ``blocked`` in the work dir
    before iteration ``k`` and sleeps ``MMMSF_TEST_BLOCK_SECONDS`` (60), so a
    test can kill or signal the run at a known point.
    """

    priority = 'NORMAL'

    def before_train_iter(self, runner, batch_idx, data_batch=None):
        self._idx = [
            int(s.get('sample_idx', -1)) for s in data_batch['data_samples']
        ]
        block = int(os.environ.get('MMMSF_TEST_BLOCK_AT_ITER', 0))
        if block and runner.iter + 1 == block and get_rank() == 0:
            open(osp.join(runner.work_dir, 'blocked'), 'w').close()
            time.sleep(float(os.environ.get('MMMSF_TEST_BLOCK_SECONDS', 60)))

    def after_train_iter(self,
                         runner,
                         batch_idx,
                         data_batch=None,
                         outputs=None):
        memory = get_ori_model(runner.model).memory
        line = dict(iter=runner.iter + 1,
                    rank=get_rank(),
                    loss=float(outputs['loss']),
                    ptr=int(memory.ptr),
                    idx=self._idx)
        with open(osp.join(runner.work_dir, 'losses.jsonl'), 'a') as f:
            f.write(json.dumps(line) + '\n')
