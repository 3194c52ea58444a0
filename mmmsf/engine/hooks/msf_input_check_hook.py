# Copyright (c) mmmsf contributors. All rights reserved.
from mmengine.hooks import Hook
from mmpretrain.registry import HOOKS

from mmmsf.utils.rng_state import get_rng_state, set_rng_state


@HOOKS.register_module()
class MSFInputCheckHook(Hook):
    """Check before step 1 that the train pipeline gives two views.

    MSF needs ``[online_view, target_view]`` for every image, CO2
    ``[query_view, key_view]``. A pipeline
    without :class:`MeanShiftViews` (or with another number of views) would
    otherwise fail only inside the first training step. This hook loads the
    first training sample once, with the RNG states saved and restored
    around it so that the run draws exactly what it would draw without the
    check, and raises one clear error. Corrupt first images are reported
    here too.
    """

    priority = 'VERY_HIGH'

    def before_train(self, runner) -> None:
        """Load one training sample and count its views."""
        dataset = runner.train_dataloader.dataset
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
