# Copyright (c) mmmsf contributors. All rights reserved.
import logging
from typing import Any, Dict, List, Optional

from mmengine.dist import all_gather_object, get_rank, get_world_size
from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmpretrain.registry import HOOKS

from mmmsf.utils.rng_state import get_rng_state, set_rng_state


@HOOKS.register_module()
class RNGStateHook(Hook):
    """Save the random number generators in checkpoints; restore on resume.

    mmengine checkpoints hold the model, optimizer, schedulers and message
    hub but no RNG state, so a resumed run draws other augmentations than
    the run it continues. This hook stores the Python, NumPy and torch
    (CPU/CUDA) RNG states of *every* rank under ``checkpoint['rng_states']``
    (a list indexed by rank) and gives each rank its own state back when a
    run is resumed (not for ``load_from``, which only initialises weights).

    Checkpoints are written by rank 0 only, so with several processes the
    states are gathered after every iteration and epoch, before
    ``CheckpointHook`` (priority ``VERY_LOW``) saves; the gather is a few
    kilobytes per rank.

    Resuming with another number of processes restores the ranks that
    existed before; the others keep their seeded generators (a warning
    says so). Together with
    :class:`~mmmsf.engine.runner.ResumableEpochBasedTrainLoop` (which stops
    hooks and the data loader from drawing between the restore and the next
    batch) a resumed run with ``num_workers=0`` repeats the uninterrupted
    one exactly.
    """

    priority = 'LOW'

    def __init__(self) -> None:
        self._states: Optional[List[Dict[str, Any]]] = None

    def _gather(self) -> None:
        if get_world_size() > 1:
            self._states = all_gather_object(get_rng_state())

    def after_train_iter(self,
                         runner,
                         batch_idx: int,
                         data_batch=None,
                         outputs: Optional[dict] = None) -> None:
        """Gather the states of all ranks before a checkpoint may be saved."""
        self._gather()

    def after_train_epoch(self, runner) -> None:
        """Gather the states of all ranks before a checkpoint may be saved."""
        self._gather()

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        """Add ``rng_states`` (one entry per rank) to the checkpoint."""
        world_size = get_world_size()
        states = list(self._states or [])
        if len(states) != world_size:
            states = [None] * world_size
        states[get_rank()] = get_rng_state()  # exact for the saving rank
        checkpoint['rng_states'] = states

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        """Give this rank its saved RNG state back when resuming."""
        if not getattr(runner, '_resume', False):
            return  # `load_from` initialises weights; keep the seeded RNGs
        states = checkpoint.get('rng_states')
        if not states:
            print_log(
                'RNGStateHook: the checkpoint holds no RNG states (saved '
                'without this hook); the resumed run draws other random '
                'numbers than the run it continues.',
                logger='current',
                level=logging.WARNING)
            return
        rank, world_size = get_rank(), get_world_size()
        if len(states) != world_size:
            print_log(
                f'RNGStateHook: the checkpoint was saved by {len(states)} '
                f'process(es) and is resumed by {world_size}; ranks '
                f'>= {len(states)} keep their seeded RNGs, so random '
                f'augmentations differ from an uninterrupted run (data '
                f'order and the global bank are unaffected).',
                logger='current',
                level=logging.WARNING)
        if rank < len(states) and states[rank] is not None:
            set_rng_state(states[rank])
