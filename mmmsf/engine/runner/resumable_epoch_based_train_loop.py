# Copyright (c) mmmsf contributors. All rights reserved.
import itertools
from typing import Dict, Iterator, List, Optional, Sequence, Tuple, Union

from mmengine.dist import get_world_size
from mmengine.logging import print_log
from mmengine.runner import EpochBasedTrainLoop
from mmpretrain.registry import HOOKS, LOOPS
from torch.utils.data import BatchSampler, DataLoader, Sampler

from mmmsf.utils.rng_state import get_rng_state, set_rng_state

# message-hub key (checkpointed): samples of the current epoch consumed
EPOCH_SAMPLES_KEY = 'train_epoch_samples'

# The checks an MSF run must keep when a config replaces `custom_hooks`
# (mmengine merges lists by replacing them): bank validation, the two-view
# input check, RNG states for exact resume, the NaN guard and SIGTERM saving.
REQUIRED_HOOKS = ('MemoryBankHook', 'MSFInputCheckHook', 'RNGStateHook',
                  'NonFiniteLossHook', 'PreemptionCheckpointHook')


class _SkipFirst(Sampler):
    """Yield the indices of ``sampler`` after the first ``num_skip``.

    The length stays that of the whole epoch so that ``len(dataloader)``
    (used by hooks to find the end of an epoch) does not change.
    """

    def __init__(self, sampler: Sampler, num_skip: int) -> None:
        self.sampler = sampler
        self.num_skip = num_skip

    def __iter__(self) -> Iterator[int]:
        return itertools.islice(iter(self.sampler), self.num_skip, None)

    def __len__(self) -> int:
        return len(self.sampler)


class _SeedTagged(Sampler):
    """Yield ``(index, epoch, seed)`` for each index of ``sampler``, the key
    :class:`~mmmsf.datasets.PerSampleSeededDataset` seeds a sample from.

    The epoch is read from the loop when the epoch's iteration starts.
    """

    def __init__(self, sampler: Sampler, loop: 'ResumableEpochBasedTrainLoop',
                 seed: int) -> None:
        self.sampler = sampler
        self.loop = loop
        self.seed = seed

    def __iter__(self) -> Iterator[Tuple[int, int, int]]:
        epoch = self.loop.epoch
        return ((int(index), epoch, self.seed) for index in self.sampler)

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
      have run, so the next batch draws what it drew in the original run;
    - refuses an empty training set with one clear error before training;
    - registers the hooks named in ``required_hooks`` that the config's
      ``custom_hooks`` lacks, with their default arguments, and says so in
      the log: a config that sets ``custom_hooks = [...]`` replaces the
      base's list (mmengine merges lists by replacing them) but keeps the
      bank validation, the input check, the RNG states, the NaN guard and
      SIGTERM saving. Two instances of one required hook are refused.

    With ``num_workers=0`` a resumed run is identical to the uninterrupted
    one. With workers the data order is still exact; the augmentations are
    exact too with ``per_sample_seed=True``, which wraps the training set
    in :class:`~mmmsf.datasets.PerSampleSeededDataset` (each sample's
    augmentation drawn from its index, the epoch and the run's seed).
    Without it the workers' augmentation RNGs restart with the resumed
    epoch, as in mmengine.
    The number of processes may change between runs if the consumed samples
    are a whole number of new global batches (always at epoch ends).

    Args:
        runner (Runner): The runner.
        dataloader (DataLoader | dict): The training data loader or its
            config.
        max_epochs (int): Total training epochs.
        val_begin (int): The epoch that begins validating. Defaults to 1.
        val_interval (int): Validation interval. Defaults to 1.
        dynamic_intervals (list[tuple[int, int]], optional): Milestones and
            validation intervals. Defaults to None.
        per_sample_seed (bool): Seed each sample's augmentation from its
            index, the epoch and the run's seed, so that a run resumed
            mid-epoch with data-loading workers is exact. Defaults to False.
        required_hooks (Sequence[str], optional): Registered names of the
            hooks every run of this loop must have. Defaults to
            :data:`REQUIRED_HOOKS`; ``[]`` turns the guarantee off.
    """

    def __init__(self,
                 runner,
                 dataloader: Union[DataLoader, Dict],
                 max_epochs: int,
                 val_begin: int = 1,
                 val_interval: int = 1,
                 dynamic_intervals: Optional[List[Tuple[int, int]]] = None,
                 per_sample_seed: bool = False,
                 required_hooks: Optional[Sequence[str]] = None) -> None:
        self.per_sample_seed = per_sample_seed
        if isinstance(dataloader, dict) and per_sample_seed:
            dataloader = dict(dataloader,
                              dataset=dict(type='PerSampleSeededDataset',
                                           dataset=dataloader['dataset']))
        if isinstance(dataloader, dict):
            try:
                dataloader = runner.build_dataloader(
                    dataloader,
                    seed=runner.seed,
                    diff_rank_seed=runner._randomness_cfg.get(
                        'diff_rank_seed', False))
            except Exception as err:
                raise ValueError(
                    f'the training set could not be built from '
                    f'`train_dataloader.dataset` ({_describe(dataloader)}): '
                    f'{type(err).__name__}: {err}. Fix that setting: a '
                    f'missing or empty data folder, an empty annotation '
                    f'file or an invalid pipeline step.') from err
        super().__init__(runner, dataloader, max_epochs, val_begin,
                         val_interval, dynamic_intervals)
        self._check_not_empty()
        self._resume_rng: Optional[dict] = None
        if per_sample_seed:
            self._tag_sampler(runner.seed)
        if required_hooks is None:
            required_hooks = REQUIRED_HOOKS
        self._ensure_hooks(required_hooks)

    def _ensure_hooks(self, names: Sequence[str]) -> None:
        """Register each required hook the runner lacks; refuse two."""
        added = []
        for name in names:
            hook_cls = HOOKS.get(name)
            if hook_cls is None:
                raise ValueError(
                    f'ResumableEpochBasedTrainLoop: required hook {name!r} '
                    f'is not registered; check `train_cfg.required_hooks`.')
            found = [h for h in self.runner.hooks if isinstance(h, hook_cls)]
            if len(found) > 1:
                raise ValueError(
                    f'ResumableEpochBasedTrainLoop: `custom_hooks` holds '
                    f'{len(found)} {name}s; keep one (a config that extends '
                    f'the base list with `*_base_.custom_hooks` must not add '
                    f'its own copy too).')
            if not found:
                self.runner.register_hook(hook_cls())
                added.append(name)
        if added:
            print_log(
                f'ResumableEpochBasedTrainLoop: `custom_hooks` lacks '
                f'{", ".join(added)}; registered with default arguments '
                f'(list them in `custom_hooks` to configure them, or set '
                f'`train_cfg.required_hooks`).',
                logger='current')

    def _tag_sampler(self, seed: int) -> None:
        """Make the sampler yield the keys PerSampleSeededDataset seeds
        from."""
        from mmmsf.datasets import PerSampleSeededDataset
        batch_sampler = self.dataloader.batch_sampler
        if not isinstance(self.dataloader.dataset, PerSampleSeededDataset):
            raise ValueError(
                'ResumableEpochBasedTrainLoop: per_sample_seed=True needs '
                'the training set wrapped in PerSampleSeededDataset; pass '
                'the dataloader as a config dict (the loop wraps it) or wrap '
                'it yourself.')
        if not isinstance(batch_sampler, BatchSampler):
            raise ValueError(
                f'ResumableEpochBasedTrainLoop: per_sample_seed=True works '
                f'with a `sampler` (e.g. DefaultSampler), not with the '
                f'custom batch sampler {type(batch_sampler).__name__}.')
        batch_sampler.sampler = _SeedTagged(batch_sampler.sampler, self,
                                            int(seed))

    def _check_not_empty(self) -> None:
        dataset = self.dataloader.dataset
        num_batches = len(self.dataloader)
        if len(dataset) > 0 and num_batches > 0:
            return
        batch_size = self.dataloader.batch_size
        raise ValueError(
            f'the training set (`train_dataloader.dataset`: '
            f'{_describe(dataset)}) has {len(dataset)} samples, which give '
            f'{num_batches} batches of {batch_size} per process on '
            f'{get_world_size()} process(es) (drop_last drops a partial '
            f'batch); point `data_root` / `ann_file` at the images, or '
            f'lower `train_dataloader.batch_size`.')

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


def _describe(dataset: Union[Dict, object]) -> str:
    """``type, data_root=..., ann_file=...`` of a dataset or its config."""
    if isinstance(dataset, dict):
        cfg = dataset.get('dataset', dataset)
        name, get = cfg.get('type'), cfg.get
    else:
        name = type(dataset).__name__
        get = (lambda key, default=None: getattr(dataset, key, default))
    name = name if isinstance(name, str) else getattr(name, '__name__', name)
    fields = [
        f'{key}={get(key)!r}'
        for key in ('data_root', 'data_prefix', 'ann_file', 'split')
        if get(key, None) not in (None, '', {})
    ]
    return ', '.join([str(name)] + fields)
