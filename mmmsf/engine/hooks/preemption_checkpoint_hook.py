# Copyright (c) mmmsf contributors. All rights reserved.
import logging
import os
import os.path as osp
import signal
import subprocess
import threading
from typing import Dict, Optional, Sequence

import torch
from mmengine.dist import all_reduce, barrier, get_world_size, is_main_process
from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmpretrain.registry import HOOKS


@HOOKS.register_module()
class PreemptionCheckpointHook(Hook):
    """Save a checkpoint when the job is pre-empted, requeue it, and exit.

    Slurm (and most schedulers) send ``SIGTERM`` some seconds before they
    kill a job. The handler installed here only records the signal; at the
    end of the running iteration every rank agrees (one all-reduce), the
    runner saves ``iter_{N}.pth``, points ``last_checkpoint`` at it (so
    ``--resume auto`` finds it) and the processes exit with ``exit_code``.
    A signal that arrives during evaluation or a warm start is handled at
    the end of the next iteration.

    Under slurm (``SLURM_JOB_ID`` set) rank 0 then runs
    ``scontrol requeue $SLURM_JOB_ID``, so the job comes back and continues
    with ``--resume auto`` (``tools/slurm_train.sh`` passes it). Slurm
    requeues batch jobs only (``sbatch``); when ``scontrol`` fails, a
    warning gives its message and the exit status tells the caller to
    restart the run.

    Its priority (``VERY_LOW``) runs it after ``CheckpointHook`` and
    :class:`RNGStateHook`, so the saved state is that of a regular
    checkpoint.

    Args:
        signals (Sequence[str]): Names of the signals to catch.
            Defaults to ``('SIGTERM', )``.
        exit_code (int): Exit status after saving: resume the run when a
            process ends with it. Defaults to 75 (``EX_TEMPFAIL`` of
            ``sysexits.h``: a temporary failure, try again).
        requeue (bool): Under slurm, requeue the job after saving.
            Defaults to True.
    """

    priority = 'VERY_LOW'

    def __init__(self,
                 signals: Sequence[str] = ('SIGTERM', ),
                 exit_code: int = 75,
                 requeue: bool = True) -> None:
        unknown = [s for s in signals if not hasattr(signal, s)]
        if unknown:
            raise ValueError(
                f'PreemptionCheckpointHook: unknown signal(s) {unknown}.')
        self.signals = [getattr(signal, s) for s in signals]
        self.exit_code = exit_code
        self.requeue = requeue
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
        if self.requeue and is_main_process():
            self.requeue_slurm_job()
        print_log(
            f'PreemptionCheckpointHook: exiting with status '
            f'{self.exit_code}.',
            logger='current')
        raise SystemExit(self.exit_code)

    @staticmethod
    def requeue_slurm_job() -> bool:
        """Run ``scontrol requeue $SLURM_JOB_ID`` when under slurm.

        Returns:
            bool: Whether slurm accepted the requeue.
        """
        job_id = os.environ.get('SLURM_JOB_ID')
        if not job_id:
            return False
        try:
            proc = subprocess.run(['scontrol', 'requeue', job_id],
                                  capture_output=True,
                                  text=True,
                                  timeout=60)
            error = proc.stderr.strip() or f'exit status {proc.returncode}'
            ok = proc.returncode == 0
        except (OSError, subprocess.TimeoutExpired) as err:
            error, ok = f'{type(err).__name__}: {err}', False
        if ok:
            print_log(
                f'PreemptionCheckpointHook: requeued slurm job {job_id}; '
                f'it continues from the saved checkpoint.',
                logger='current')
        else:
            print_log(
                f'PreemptionCheckpointHook: `scontrol requeue {job_id}` '
                f'failed ({error}); slurm requeues batch (sbatch) jobs '
                f'only. Restart the run with `--resume auto`.',
                logger='current',
                level=logging.WARNING)
        return ok
