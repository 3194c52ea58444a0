# Copyright (c) mmmsf contributors. All rights reserved.
from typing import Optional

import torch
from mmengine.dist import all_reduce, get_world_size
from mmengine.hooks import Hook
from mmpretrain.registry import HOOKS


@HOOKS.register_module()
class NonFiniteLossHook(Hook):
    """Stop training at the first NaN or infinite loss.

    A step with a non-finite loss has already written non-finite weights,
    so they must never reach a checkpoint. This hook runs first after each
    iteration (priority ``VERY_HIGH``, before ``CheckpointHook``) and raises
    one error naming the iteration and the last good checkpoint, which stays
    as it was. All ranks agree through one all-reduce, so no rank waits in
    a collective for a rank that stopped.
    """

    priority = 'VERY_HIGH'

    def after_train_iter(self,
                         runner,
                         batch_idx: int,
                         data_batch=None,
                         outputs: Optional[dict] = None) -> None:
        """Raise if the loss of this iteration is not finite."""
        if not outputs or 'loss' not in outputs:
            return
        loss = torch.as_tensor(outputs['loss']).detach().float()
        bad = (~torch.isfinite(loss)).any().float().cpu().reshape(1)
        if get_world_size() > 1:
            all_reduce(bad)
        if bad.item() == 0:
            return
        last = runner.message_hub.get_info('last_ckpt')
        raise RuntimeError(
            f'NonFiniteLossHook: the loss is {loss.flatten()[0].item()} at '
            f'iteration {runner.iter + 1} (epoch {runner.epoch + 1}); '
            f'training stopped before this state could be saved. The last '
            f'good checkpoint is {last or "none (none was saved yet)"}. '
            f'Lower `optim_wrapper.optimizer.lr`, add gradient clipping '
            f'(`optim_wrapper.clip_grad=dict(max_norm=...)`) or check the '
            f'data, then resume from it with `--resume`.')
