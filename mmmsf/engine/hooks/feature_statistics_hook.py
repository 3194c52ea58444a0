# Copyright (c) mmmsf contributors. All rights reserved.
import copy
from typing import Optional

from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmengine.runner import Runner
from mmpretrain.registry import HOOKS
from mmpretrain.utils import get_ori_model

from mmmsf.evaluation import backbone_feature_statistics
from mmmsf.models.necks import L2NormStandardizeNeck


@HOOKS.register_module()
class FeatureStatisticsHook(Hook):
    """Fill :class:`~mmmsf.models.necks.L2NormStandardizeNeck` before
    training, as in the linear evaluation of `MSF
    <https://arxiv.org/abs/2105.07269>`_.

    One pass over the training set with the *val* transform gives the mean
    and variance of the L2-normalised frozen features, which the neck keeps
    as buffers. A resumed run (or one whose loaded checkpoint already holds
    them) keeps its statistics and skips the pass.

    Args:
        dataloader (dict, optional): Dataloader config of that pass. By
            default the ``train_dataloader``'s dataset with the
            ``val_dataloader``'s pipeline, batch size and workers, in order
            (non-shuffling ``DefaultSampler``). Defaults to None.
    """

    # after StrictPretrainedHook has checked the backbone
    priority = 'NORMAL'

    def __init__(self, dataloader: Optional[dict] = None) -> None:
        self.dataloader = dataloader

    @staticmethod
    def _default_dataloader(runner: Runner) -> dict:
        """The training set under the val transform."""
        train, val = runner.cfg.get('train_dataloader'), runner.cfg.get(
            'val_dataloader')
        if not train or not val or 'pipeline' not in train.get(
                'dataset', {}) or 'pipeline' not in val.get('dataset', {}):
            raise ValueError(
                'FeatureStatisticsHook derives its pass from '
                'train_dataloader.dataset and val_dataloader.dataset.pipeline,'
                ' which this config lacks: pass `dataloader` explicitly.')
        dataset = copy.deepcopy(train['dataset'])
        dataset['pipeline'] = copy.deepcopy(val['dataset']['pipeline'])
        return dict(batch_size=val['batch_size'],
                    num_workers=val.get('num_workers', 0),
                    sampler=dict(type='DefaultSampler', shuffle=False),
                    collate_fn=copy.deepcopy(
                        val.get('collate_fn', dict(type='default_collate'))),
                    dataset=dataset)

    def before_train(self, runner: Runner) -> None:
        """Compute the statistics unless the neck already has them."""
        neck = getattr(get_ori_model(runner.model), 'neck', None)
        if not isinstance(neck, L2NormStandardizeNeck):
            raise TypeError(
                f'FeatureStatisticsHook needs a model whose neck is '
                f'L2NormStandardizeNeck, got {type(neck).__name__}.')
        if neck.has_statistics:
            print_log(
                f'FeatureStatisticsHook: keeping the statistics of '
                f'{int(neck.num_samples)} samples from the checkpoint.',
                logger='current')
            return
        cfg = self.dataloader or self._default_dataloader(runner)
        loader = Runner.build_dataloader(cfg, seed=runner.seed)
        mean, var, num_samples = backbone_feature_statistics(
            runner.model, loader)
        neck.set_statistics(mean, var, num_samples)
        print_log(
            f'FeatureStatisticsHook: standardising with the statistics of '
            f'{num_samples} training samples (mean |mu| '
            f'{mean.abs().mean():.4g}, mean var {var.mean():.4g}).',
            logger='current')
