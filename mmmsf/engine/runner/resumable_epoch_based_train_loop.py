# Copyright (c) mmmsf contributors. All rights reserved.
import itertools
from typing import Iterator, Optional, Sequence

from mmengine.dist import get_world_size
from mmengine.logging import print_log
from mmengine.runner import EpochBasedTrainLoop
from mmpretrain.registry import LOOPS
from torch.utils.data import BatchSampler, Sampler

from mmmsf.utils.rng_state import get_rng_state, set_rng_state

# message-hub key (checkpointed): samples of the current epoch consumed
EPOCH_SAMPLES_KEY = 'train_epoch_samples'


class _SkipFirst(Sampler):
    """Yield the indices of ``sampler`` after the first ``num_skip``.

    The length stays that of the whole epoch so that ``len(dataloader)``
    (used by hooks to find the end of an epoch) does not change.
    """

    def __init__(self, sampler: Sampler, num_skip: int) -> None:
        self.sampler = sampler
        self.num_skip = num_skip

    def __iter__(self) -> Iterator:
        return itertools.islice(iter(self.sampler), self.num_skip, None)

    def __len__(self) -> int:
        return len(self.sampler)


@LOOPS.register_module()
class ResumableEpochBasedTrainLoop(EpochBasedTrainLoop):
    """An epoch-based loop that resumes mid-epoch where it stopped.

    mmengine's :class:`~mmengine.runner.EpochBasedTrainLoop` restarts a
    resumed epoch from its first batch, so a run resumed from an
    iteration checkpoint trains on some batches twice and differs from the
    uninterrupted run. This loop

    - records in the message hub (so in every checkpoint) how many samples
      of the current epoch were consumed, and on resume skips them at the
      sampler level, without loading them; batch indices given to hooks
      continue where they stopped;
    - restores the RNG state it found when resuming (put there by
      :class:`~mmmsf.engine.hooks.RNGStateHook`) after the ``before_train``
      / ``before_train_epoch`` hooks and the creation of the data iterator
      have run, so the next batch draws what it drew in the original run.

    With ``num_workers=0`` a resumed run is identical to the uninterrupted
    one. With workers the data order is still exact; the augmentations are
    exact too with :class:`~mmmsf.datasets.PerSampleSeededSampler` and
    :class:`~mmmsf.datasets.PerSampleSeededDataset` (each sample's
    augmentation drawn from its index, the epoch and the run's seed).
    Without them the workers' augmentation RNGs restart with the resumed
    epoch, as in mmengine.
    The number of processes may change between runs if the consumed samples
    are a whole number of new global batches (always at epoch ends).

    The arguments are those of
    :class:`~mmengine.runner.EpochBasedTrainLoop`.
    """

    _resume_rng: Optional[dict] = None

    @property
    def _global_batch(self) -> int:
        batch_size = self.dataloader.batch_size or getattr(
            self.dataloader.batch_sampler, 'batch_size', 1)
        return batch_size * get_world_size()

    def run(self):
        """Launch training, continuing a resumed epoch where it stopped."""
        # the RNG state just restored from the checkpoint (if resuming)
        self._resume_rng = get_rng_state() if self._iter > 0 else None
        return super().run()

    def _batches_to_skip(self) -> int:
        """Batches of the current epoch consumed before the checkpoint."""
        hub = self.runner.message_hub
        seen = hub.get_info(EPOCH_SAMPLES_KEY)
        if seen is None:  # a checkpoint of mmengine's own loop
            return max(0, self._iter - self._epoch * len(self.dataloader))
        skip, rest = divmod(int(seen), self._global_batch)
        if rest:
            raise ValueError(
                f'the checkpoint was saved after {seen} samples of epoch '
                f'{self._epoch + 1}, which is not a whole number of global '
                f'batches of {self._global_batch} (batch size x '
                f'{get_world_size()} processes); resume with the batch size '
                f'and number of processes of the interrupted run, or from '
                f'a checkpoint saved at the end of an epoch.')
        return min(skip, len(self.dataloader))

    def run_epoch(self) -> None:
        """Iterate one epoch (the rest of it after a mid-epoch resume)."""
        resume_rng, self._resume_rng = self._resume_rng, None
        skip = self._batches_to_skip() if resume_rng is not None else 0
        if resume_rng is not None and skip == 0:
            # the checkpoint was taken before the hooks of this epoch ran
            set_rng_state(resume_rng)
        self.runner.call_hook('before_train_epoch')
        self.runner.model.train()
        batch_sampler = self.dataloader.batch_sampler
        sampler = getattr(batch_sampler, 'sampler', None)
        if skip:
            print_log(
                f'Resuming epoch {self._epoch + 1} after {skip} of its '
                f'{len(self.dataloader)} iterations.',
                logger='current')
            if isinstance(batch_sampler, BatchSampler):
                batch_sampler.sampler = _SkipFirst(
                    sampler, skip * batch_sampler.batch_size)
        try:
            data_iter = iter(self.dataloader)
            if skip and not isinstance(batch_sampler, BatchSampler):
                # a custom batch sampler: load and drop the consumed batches
                for _ in range(skip):
                    next(data_iter)
            if resume_rng is not None and skip:
                set_rng_state(resume_rng)
            for idx, data_batch in enumerate(data_iter, start=skip):
                self.run_iter(idx, data_batch)
        finally:
            if skip and isinstance(batch_sampler, BatchSampler):
                batch_sampler.sampler = sampler
        # epoch checkpoints (saved by after_train_epoch) start a new epoch
        self.runner.message_hub.update_info(EPOCH_SAMPLES_KEY, 0)
        self.runner.call_hook('after_train_epoch')
        self._epoch += 1

    def run_iter(self, idx: int, data_batch: Sequence[dict]) -> None:
        """Iterate one mini-batch, counting the samples of the epoch.

        Args:
            idx (int): Index of the batch in the epoch.
            data_batch (Sequence[dict]): Batch of data from the dataloader.
        """
        # counted before the step: checkpoints are saved after it
        self.runner.message_hub.update_info(EPOCH_SAMPLES_KEY,
                                            (idx + 1) * self._global_batch)
        super().run_iter(idx, data_batch)
