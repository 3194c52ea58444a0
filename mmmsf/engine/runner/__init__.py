# Copyright (c) mmmsf contributors. All rights reserved.
from .checkpoint_safe_runner import CheckpointSafeRunner
from .resumable_epoch_based_train_loop import ResumableEpochBasedTrainLoop

__all__ = ['CheckpointSafeRunner', 'ResumableEpochBasedTrainLoop']
