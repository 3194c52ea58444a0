# Copyright (c) mmmsf contributors. All rights reserved.
"""mmdetection plug-ins of the transfer benchmarks.

Loads in the detection environment built by ``tools/setup_det_env.sh``
(mmdet, mmcv with ops, no mmpretrain) and next to mmpretrain: importing it
imports :mod:`mmmsf` for its checkpoint allow-list and
:mod:`mmmsf.checkpoint` (the MSF models are not needed there), registers
the C4 head with its extra norm and the ``StrictPretrained`` init, which
initialises a detector's backbone from a full MSF checkpoint
(``prefix='backbone.'``) strictly, through
:func:`mmmsf.checkpoint.load_backbone_checkpoint`.

The detection configs import it with ``custom_imports`` and train with
mmdet's own runner, so importing it also makes mmengine write local files
(the detectors' checkpoints) atomically
(:class:`~mmmsf.checkpoint.AtomicLocalBackend`), as
:class:`~mmmsf.engine.runner.CheckpointSafeRunner` does for pretraining.
"""
import importlib.util
import warnings

with warnings.catch_warnings():
    # "mmpretrain is not installed": expected here, only the allow-list and
    # mmmsf.checkpoint are used
    warnings.filterwarnings('ignore', message='mmpretrain is not installed')
    import mmmsf  # noqa: F401

from mmmsf.checkpoint import register_atomic_local_backend  # noqa: E402
from .strict_pretrained_init import StrictPretrainedInit  # noqa: E402

register_atomic_local_backend()

if importlib.util.find_spec('mmpretrain') is not None:
    # mmpretrain registers the same head in mmdet's registry when mmdet is
    # importable: use it (our copy is for environments without mmpretrain,
    # such as tools/setup_det_env.sh's: no torchvision for its torch)
    from mmpretrain.models.utils import ResLayerExtraNorm
else:
    from .res_layer_extra_norm import ResLayerExtraNorm

__all__ = ['ResLayerExtraNorm', 'StrictPretrainedInit']
