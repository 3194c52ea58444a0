# Copyright (c) mmmsf contributors. All rights reserved.
from typing import Union

from mmengine.dist import get_world_size
from mmengine.hooks import Hook
from mmpretrain.registry import HOOKS

from mmmsf.utils.rng_state import get_rng_state, set_rng_state


@HOOKS.register_module()
class MSFInputCheckHook(Hook):
    """Check before step 1 that the training set is not empty and that the
    train pipeline gives two views.

    A training set too small for one batch would train zero steps without
    a word; MSF needs ``[online_view, target_view]`` for every image, CO2
    ``[query_view, key_view]``. A pipeline without :class:`MeanShiftViews`
    (or with another number of views) would otherwise fail only inside the
    first training step. This hook loads the first training sample once,
    with the RNG states saved and restored around it so that the run draws
    exactly what it would draw without the check, and raises one clear
    error. Corrupt first images are reported here too.
    """

    priority = 'VERY_HIGH'

    def before_train(self, runner) -> None:
        """Count the batches, then load one training sample and count its
        views."""
        dataloader = runner.train_dataloader
        dataset = dataloader.dataset
        if len(dataset) == 0 or len(dataloader) == 0:
            raise ValueError(
                f'the training set (`train_dataloader.dataset`: '
                f'{describe_dataset(dataset)}) has {len(dataset)} samples, '
                f'which give {len(dataloader)} batches of '
                f'{dataloader.batch_size} per process on {get_world_size()} '
                f'process(es) (drop_last drops a partial batch); point '
                f'`data_root` / `ann_file` at the images, or lower '
                f'`train_dataloader.batch_size`.')
        state = get_rng_state()
        try:
            inputs = dataset[0]['inputs']
        finally:
            set_rng_state(state)
        num = len(inputs) if isinstance(inputs, (list, tuple)) else 1
        if num != 2:
            raise ValueError(
                f'MSFInputCheckHook: the train pipeline yields {num} '
                f'view(s) per image but MSF needs exactly 2 ([online, '
                f'target]; CO2 [query, key]); build '
                f'`train_dataloader.dataset.pipeline` with '
                f"dict(type='MeanShiftViews', weak=..., strong=..., "
                f"view_mode='w/s') for MSF, or MultiView with "
                f'num_views=2 for CO2, before PackInputs.')


def describe_dataset(dataset: Union[dict, object]) -> str:
    """``type, data_root=..., ann_file=...`` of a dataset or its config.

    A wrapper (``dataset=...``) is described by the dataset it wraps.

    Args:
        dataset (dict | Dataset): A dataset, its config or a dataloader
            config.

    Returns:
        str: The type and the settings that locate the data.
    """
    if isinstance(dataset, dict):
        cfg = dataset.get('dataset', dataset)
        inner = cfg.get('dataset')
        if isinstance(inner, dict):  # a wrapper's config
            cfg = {**cfg, **inner}
        name, get = cfg.get('type'), cfg.get
    else:
        dataset = getattr(dataset, 'dataset', dataset)
        name = type(dataset).__name__
        get = (lambda key, default=None: getattr(dataset, key, default))
    name = name if isinstance(name, str) else getattr(name, '__name__', name)
    fields = [
        f'{key}={get(key)!r}'
        for key in ('data_root', 'data_prefix', 'ann_file', 'split')
        if get(key, None) not in (None, '', {})
    ]
    return ', '.join([str(name)] + fields)
