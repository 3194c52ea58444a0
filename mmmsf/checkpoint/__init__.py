# Copyright (c) mmmsf contributors. All rights reserved.
"""Everything that reads or writes a checkpoint.

Safe loading and its allow-list, strict loading (state-dict diffing),
``--resume auto``, backbone extraction, memory-bank state checks and
migration, the LMA generator (:func:`load_generator`), atomic writes and
the converters' shared code (:mod:`mmmsf.checkpoint.model_converters`).
Imports without mmpretrain (the detection environment of
``tools/setup_det_env.sh``).
"""
from .atomic_local_backend import (AtomicLocalBackend,
                                   register_atomic_local_backend)
from .auto_resume import checkpoint_candidates, latest_loadable_checkpoint
from .backbone import backbone_state_dict, load_backbone_checkpoint
from .bank_state import MemoryBankStateError
from .generator import GeneratorCheckpointError, load_generator
from .safe_globals import (CHECKPOINT_SAFE_GLOBALS,
                           register_checkpoint_safe_globals)
from .safe_loading import UnsafeCheckpointError, load_checkpoint_safely
from .strict_loading import (CheckpointMismatchError, check_state_dict,
                             expected_state, prepare_state_dict,
                             state_dict_mismatches)

__all__ = [
    'AtomicLocalBackend', 'register_atomic_local_backend',
    'checkpoint_candidates', 'latest_loadable_checkpoint',
    'backbone_state_dict', 'load_backbone_checkpoint',
    'CHECKPOINT_SAFE_GLOBALS', 'register_checkpoint_safe_globals',
    'UnsafeCheckpointError', 'load_checkpoint_safely',
    'CheckpointMismatchError', 'check_state_dict', 'expected_state',
    'prepare_state_dict', 'state_dict_mismatches', 'MemoryBankStateError',
    'GeneratorCheckpointError', 'load_generator'
]
