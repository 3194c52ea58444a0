# Copyright (c) mmmsf contributors. All rights reserved.
"""mmmsf: Mean Shift for Self-Supervised Learning on OpenMMLab 2.0.

Importing the package registers its modules in mmpretrain's registries
(configs load it with ``custom_imports``) and allow-lists the types that
mmengine checkpoints contain for ``torch.load(weights_only=True)`` and
makes mmengine write local files (checkpoints) atomically.
"""
from .checkpoint import register_atomic_local_backend
from .utils import register_checkpoint_safe_globals
from .version import __version__

register_checkpoint_safe_globals()
register_atomic_local_backend()

from . import datasets, engine, evaluation, models  # noqa: E402,F401

__all__ = ['__version__', 'register_checkpoint_safe_globals']
