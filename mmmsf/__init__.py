# Copyright (c) mmmsf contributors. All rights reserved.
"""mmmsf: Mean Shift for Self-Supervised Learning on OpenMMLab 2.0.

Importing the package registers its modules in mmpretrain's registries
(configs load it with ``custom_imports``) and allow-lists the types that
mmengine checkpoints contain for ``torch.load(weights_only=True)``, routing
mmengine's local checkpoint loading through
:func:`~mmmsf.checkpoint.load_checkpoint_safely`. It leaves mmengine's file
backends as they are: checkpoints are written atomically by
:class:`~mmmsf.engine.runner.CheckpointSafeRunner` (``runner_type`` of the
MSF configs), which installs :class:`~mmmsf.checkpoint.AtomicLocalBackend`
when it starts.

Where mmpretrain is not installed (the detection environment of
``tools/setup_det_env.sh``), only the allow-list, :mod:`mmmsf.checkpoint`
(safe and strict checkpoint loading, backbone extraction, atomic writes)
and :mod:`mmmsf.utils` are available, with a warning saying so.
"""
import importlib.util
import warnings

from .checkpoint import register_checkpoint_safe_globals
from .version import __version__

register_checkpoint_safe_globals()

if importlib.util.find_spec('mmpretrain') is None:
    warnings.warn(
        'mmpretrain is not installed: mmmsf provides only its checkpoint '
        'allow-list, mmmsf.checkpoint and mmmsf.utils here; the MSF models, '
        'hooks and datasets need mmpretrain (pip install '
        '"mmpretrain>=1.2.0").')
else:
    from . import datasets, engine, evaluation, models  # noqa: F401

__all__ = ['__version__', 'register_checkpoint_safe_globals']
