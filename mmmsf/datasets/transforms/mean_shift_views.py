# Copyright (c) mmmsf contributors. All rights reserved.
from typing import List

from mmpretrain.datasets.transforms import MultiView
from mmpretrain.registry import TRANSFORMS

VIEW_MODES = ('w/s', 's/s', 'w/w', 's/w')


@TRANSFORMS.register_module()
class MeanShiftViews(MultiView):
    """The two views of `Mean Shift for Self-Supervised Learning
    <https://arxiv.org/abs/2105.07269>`_, chosen by a view mode.

    A view mode ``'<target>/<online>'`` names the augmentation of each
    branch: ``'w/s'`` (weak target, strong online; the paper's best),
    ``'s/s'``, ``'w/w'`` or ``'s/w'``. The packed inputs are
    ``[online_view, target_view]``, the order :class:`MSF` expects.

    Args:
        weak (list[dict]): Weak view pipeline (crop + flip in the paper).
        strong (list[dict]): Strong view pipeline (crop, colour jitter,
            grayscale, blur, flip).
        view_mode (str): One of ``'w/s'``, ``'s/s'``, ``'w/w'``, ``'s/w'``.
            Defaults to ``'w/s'``.
    """

    def __init__(self,
                 weak: List[dict],
                 strong: List[dict],
                 view_mode: str = 'w/s') -> None:
        if view_mode not in VIEW_MODES:
            raise ValueError(
                f'MeanShiftViews: unknown view_mode {view_mode!r}; choose '
                f'one of {VIEW_MODES} (target/online, w = weak, s = strong).')
        self.view_mode = view_mode
        pipelines = dict(w=weak, s=strong)
        target, online = view_mode.split('/')
        super().__init__(transforms=[pipelines[online], pipelines[target]],
                         num_views=[1, 1])

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(view_mode={self.view_mode!r}, '
                f'online={self.pipelines[0]}, target={self.pipelines[1]})')
