# Copyright (c) mmmsf contributors. All rights reserved.
from typing import Optional

from mmengine.model import is_model_wrapper
from mmengine.optim import DefaultOptimWrapperConstructor, OptimWrapperDict
from mmpretrain.registry import OPTIM_WRAPPER_CONSTRUCTORS
from torch import nn


@OPTIM_WRAPPER_CONSTRUCTORS.register_module()
class MultiOptimWrapperConstructor:
    """One optimizer per sub-module, as an
    :class:`~mmengine.optim.OptimWrapperDict` (a GAN's generator and
    discriminator).

    Each key of the config names a child module of the model and holds an
    ordinary ``optim_wrapper`` config for it, built by mmengine's
    :class:`~mmengine.optim.DefaultOptimWrapperConstructor`::

        optim_wrapper = dict(
            constructor='MultiOptimWrapperConstructor',
            generator=dict(optimizer=dict(type='Adam', lr=1e-4)),
            discriminator=dict(optimizer=dict(type='Adam', lr=4e-4)))

    Args:
        optim_wrapper_cfg (dict): Child-module name -> optim wrapper config
            (``optimizer``, optionally ``type``, ``paramwise_cfg``, ...).
        paramwise_cfg (dict, optional): Must be None: give each child's its
            own ``paramwise_cfg``. Defaults to None.
    """

    def __init__(self,
                 optim_wrapper_cfg: dict,
                 paramwise_cfg: Optional[dict] = None) -> None:
        if paramwise_cfg is not None:
            raise ValueError(
                'MultiOptimWrapperConstructor: set paramwise_cfg inside '
                'each module\'s entry of optim_wrapper, not beside them.')
        self.constructors = {}
        for name, cfg in optim_wrapper_cfg.items():
            if not isinstance(cfg, dict) or 'optimizer' not in cfg:
                raise ValueError(
                    f'MultiOptimWrapperConstructor: optim_wrapper.{name} '
                    f'must be an optim wrapper config with an `optimizer`, '
                    f'got {cfg!r}.')
            cfg = dict(cfg)
            self.constructors[name] = DefaultOptimWrapperConstructor(
                cfg, cfg.pop('paramwise_cfg', None))

    def __call__(self, model: nn.Module) -> OptimWrapperDict:
        """Build one optim wrapper per named child module.

        Args:
            model (nn.Module): The model (possibly wrapped).

        Returns:
            OptimWrapperDict: The wrappers by child name.
        """
        if is_model_wrapper(model):
            model = model.module
        wrappers = {}
        for name, constructor in self.constructors.items():
            child = getattr(model, name, None)
            if not isinstance(child, nn.Module):
                raise ValueError(
                    f'MultiOptimWrapperConstructor: optim_wrapper.{name} '
                    f'names no sub-module of {type(model).__name__}.')
            wrappers[name] = constructor(child)
        return OptimWrapperDict(**wrappers)
