# Copyright (c) mmmsf contributors. All rights reserved.
import logging
import math
from typing import Dict, Optional

import torch
from mmengine.dist import get_world_size
from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmpretrain.registry import HOOKS
from mmpretrain.utils import get_ori_model


@HOOKS.register_module()
class MemoryBankHook(Hook):
    """Validate, warm-start and monitor the memory bank of MSF or CO2.

    - ``before_train``: checks the bank against the real global batch
      (per-GPU batch x world size) and, for MSF, ``topk`` and stops with one
      clear error before any step is taken. Optionally fills the bank with real
      target embeddings of the training set (``warm_start``) instead of the
      random unit vectors it starts with; resumed runs keep their bank.
    - ``after_train_iter``: every ``interval`` iterations logs, under the
      ``msf/`` prefix, the bank fill ratio, the running mean purity, the
      mean distance ``2 - 2 cos`` of the newest targets to their ``topk``
      nearest *other* entries (the nearest one for CO2), and the
      per-dimension std of the stored embeddings (``1/sqrt(dim)`` is a
      uniform spread; it falls towards 0 when the representation
      collapses). Scalars go to the message hub and
      every visualizer backend (TensorBoard, W&B, ...). Once that std falls
      under ``collapse_std_ratio / sqrt(dim)`` on a full bank, it warns once
      that the representation has collapsed (all embeddings nearly one
      vector: the loss can no longer train the backbone) and names the
      settings to change.

    The hook reads state only; the bank lives in the model's state dict.

    Args:
        interval (int): Logging interval in iterations. Defaults to 50.
        warm_start (bool): Fill the bank before the first step.
            Defaults to False.
        max_stat_entries (int): Bank entries sampled for the std.
            Defaults to 65536.
        collapse_std_ratio (float): Collapse threshold as a fraction of the
            uniform spread ``1/sqrt(dim)``; 0 disables the warning.
            Defaults to 0.05 (on the digits, healthy runs stay above 0.7
            for MSF and 0.28 for MoCo v2; a collapsed CO2 run fell to
            0.003).
    """

    priority = 'NORMAL'

    def __init__(self,
                 interval: int = 50,
                 warm_start: bool = False,
                 max_stat_entries: int = 65536,
                 collapse_std_ratio: float = 0.05) -> None:
        if interval < 1:
            raise ValueError(f'MemoryBankHook: interval must be >= 1, got '
                             f'{interval}.')
        self.interval = interval
        self.warm_start = warm_start
        self.max_stat_entries = max_stat_entries
        self.collapse_std_ratio = collapse_std_ratio
        self.collapse_warned = False

    @staticmethod
    def _get_msf(runner):
        model = get_ori_model(runner.model)
        if not hasattr(model, 'memory') or not hasattr(model, 'head'):
            raise TypeError(
                f'MemoryBankHook needs a model with a memory bank (such as '
                f'MSF or CO2), got {type(model).__name__}; remove the hook '
                f'from `custom_hooks` and, with ResumableEpochBasedTrainLoop, '
                f'from `train_cfg.required_hooks`.')
        return model

    def before_train(self, runner) -> None:
        """Validate the bank; warm-start it on a fresh run."""
        model = self._get_msf(runner)
        memory = model.memory
        batch_size = runner.train_dataloader.batch_size
        world_size = get_world_size()
        memory.check_batch(batch_size * world_size)
        topk = getattr(model.head, 'topk', None)  # MSF only
        if topk is not None:
            memory.check_topk(topk, '`head.topk`')
        print_log(
            f'{type(model).__name__} memory bank: {memory.size} x '
            f'{memory.dim} ({memory.feats.dtype}), global batch '
            f'{batch_size} x {world_size} = {batch_size * world_size}, '
            f'topk {topk}, filled {memory.fill_ratio:.1%}.',
            logger='current')
        if self.warm_start and runner.iter == 0 and memory.num_seen == 0:
            self._fill(runner, model)

    @torch.no_grad()
    def _fill(self, runner, model) -> None:
        """Enqueue target embeddings of training batches until full."""
        memory = model.memory
        loader = runner.train_dataloader
        global_batch = loader.batch_size * get_world_size()
        num_iters = min(len(loader), math.ceil(memory.size / global_batch))
        # train mode, as in the steps to come: BN uses batch statistics
        for i, data in enumerate(loader):
            if i >= num_iters:
                break
            data = model.data_preprocessor(data, False)
            model.fill_memory(data['inputs'], data['data_samples'])
        print_log(
            f'MemoryBankHook: warm start enqueued {int(memory.num_seen)} '
            f'target embeddings in {num_iters} iterations '
            f'(bank filled {memory.fill_ratio:.1%}).',
            logger='current')

    def after_train_iter(self,
                         runner,
                         batch_idx: int,
                         data_batch=None,
                         outputs: Optional[dict] = None) -> None:
        """Log bank statistics every ``interval`` iterations."""
        if not self.every_n_train_iters(runner, self.interval):
            return
        stats = self.bank_stats(runner)
        for key, value in stats.items():
            runner.message_hub.update_scalar(key, value)
        runner.visualizer.add_scalars(stats, step=runner.iter + 1)
        print_log('msf bank: ' + ', '.join(f'{k[4:]}: {v:.4f}'
                                           for k, v in stats.items()),
                  logger='current')
        self._check_collapse(runner, stats)

    def _check_collapse(self, runner, stats: Dict[str, float]) -> None:
        """Warn once when the bank's embeddings have (nearly) one value."""
        model = self._get_msf(runner)
        uniform = 1 / math.sqrt(model.memory.dim)
        std = stats.get('msf/embedding_std')
        if (self.collapse_warned or std is None or stats['msf/bank_fill'] < 1
                or std >= self.collapse_std_ratio * uniform):
            return
        self.collapse_warned = True
        alpha = getattr(model.head, 'alpha', None)  # CO2 only
        hint = (f', `model.head.alpha` (the consistency weight, now {alpha})'
                if alpha else '')
        print_log(
            f'MemoryBankHook: the representation has collapsed at iteration '
            f'{runner.iter + 1}: the per-dimension std of the bank\'s '
            f'embeddings is {std:.4g}, under {self.collapse_std_ratio:g} x '
            f'the uniform spread 1/sqrt({model.memory.dim}) = {uniform:.4g}. '
            f'All embeddings are nearly one vector, so the loss no longer '
            f'trains the backbone. Stop the run and change the recipe: the '
            f'learning rate, the target\'s EMA `model.momentum` (smaller is '
            f'a slower target){hint}.',
            logger='current',
            level=logging.WARNING)

    @torch.no_grad()
    def bank_stats(self, runner) -> Dict[str, float]:
        """Compute the monitored bank statistics.

        Returns:
            dict[str, float]: ``msf/bank_fill``, ``msf/nn_distance``,
            ``msf/embedding_std`` and, for labelled data,
            ``msf/purity_mean``.
        """
        model = self._get_msf(runner)
        memory = model.memory
        k = getattr(model.head, 'topk', 1)
        stats = {'msf/bank_fill': memory.fill_ratio}
        filled = min(int(memory.num_seen), memory.size)
        if filled > 0:
            # the newest entries are the targets of the last global batch
            num = min(filled,
                      runner.train_dataloader.batch_size * get_world_size())
            newest = (int(memory.ptr) - 1 - torch.arange(num)) % memory.size
            query = memory.entries(newest)  # collective if sharded
            kk = min(k + 1, memory.size)
            sims, _, _ = memory.knn(query, kk)
            # drop the first neighbour: the entry itself
            stats['msf/nn_distance'] = float((2 - 2 * sims[:, 1:]).mean()) \
                if kk > 1 else 0.0
            step = max(1, filled // self.max_stat_entries)
            order = (int(memory.ptr) - 1 - torch.arange(0, filled, step))
            sample = memory.entries(order % memory.size)
            stats['msf/embedding_std'] = float(sample.std(dim=0).mean()) \
                if sample.shape[0] > 1 else 0.0
        purity = runner.message_hub.log_scalars.get('train/purity')
        if purity is not None:
            stats['msf/purity_mean'] = float(purity.mean(self.interval))
        return stats
