# Copyright (c) mmmsf contributors. All rights reserved.
import logging
import os.path as osp
import signal
import threading
from typing import Dict, Optional, Sequence

import torch
from mmengine.dist import all_reduce, barrier, get_world_size, is_main_process
from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmpretrain.registry import HOOKS


@HOOKS.register_module()
class PreemptionCheckpointHook(Hook):
    """Save a checkpoint and exit cleanly when the job is pre-empted.

    Slurm (and most schedulers) send ``SIGTERM`` some seconds before they
    kill a job. The handler installed here only records the signal; at the
    end of the running iteration every rank agrees (one all-reduce), the
    runner saves ``iter_{N}.pth``, points ``last_checkpoint`` at it (so
    ``--resume auto`` finds it) and the processes exit with ``exit_code``.
    A signal that arrives during evaluation or a warm start is handled at
    the end of the next iteration.

    Its priority (``VERY_LOW``) runs it after ``CheckpointHook`` and
    :class:`RNGStateHook`, so the saved state is that of a regular
    checkpoint.

    Args:
        signals (Sequence[str]): Names of the signals to catch.
            Defaults to ``('SIGTERM', )``.
        exit_code (int): Exit status after saving. Defaults to 0.
    """

    priority = 'VERY_LOW'

    def __init__(self,
                 signals: Sequence[str] = ('SIGTERM', ),
                 exit_code: int = 0) -> None:
        unknown = [s for s in signals if not hasattr(signal, s)]
        if unknown:
            raise ValueError(
                f'PreemptionCheckpointHook: unknown signal(s) {unknown}.')
        self.signals = [getattr(signal, s) for s in signals]
        self.exit_code = exit_code
        self._received: Optional[int] = None
        self._previous: Dict[int, object] = {}

    def _handle(self, signum: int, frame) -> None:
        # only record it: the iteration in flight finishes first
        self._received = signum

    def before_train(self, runner) -> None:
        """Install the signal handlers."""
        if threading.current_thread() is not threading.main_thread():
            print_log(
                'PreemptionCheckpointHook: not in the main thread, cannot '
                'install signal handlers.',
                logger='current',
                level=logging.WARNING)
            return
        for signum in self.signals:
            self._previous[signum] = signal.signal(signum, self._handle)

    def after_train(self, runner) -> None:
        """Put the previous signal handlers back."""
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)
        self._previous.clear()

    def _stop_requested(self) -> bool:
        flag = torch.tensor([float(self._received is not None)])
        if get_world_size() > 1:
            all_reduce(flag)  # any rank signalled: all stop together
        return bool(flag.item() > 0)

    def after_train_iter(self,
                         runner,
                         batch_idx: int,
                         data_batch=None,
                         outputs: Optional[dict] = None) -> None:
        """Save and exit if a signal was received."""
        if not self._stop_requested():
            return
        filename = f'iter_{runner.iter + 1}.pth'
        runner.save_checkpoint(runner.work_dir, filename, by_epoch=False)
        if is_main_process():
            with open(osp.join(runner.work_dir, 'last_checkpoint'), 'w') as f:
                f.write(osp.join(runner.work_dir, filename))
        barrier()
        name = signal.Signals(self._received).name \
            if self._received is not None else 'a signal on another rank'
        print_log(
            f'PreemptionCheckpointHook: received {name}; saved '
            f'{filename} at iteration {runner.iter + 1} and stopped. '
            f'Continue with `--resume auto`.',
            logger='current')
        raise SystemExit(self.exit_code)
