# Copyright (c) mmmsf contributors. All rights reserved.
from typing import Dict, Optional, Sequence

import torch
from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmengine.runner import Runner
from mmpretrain.registry import HOOKS

from mmmsf.evaluation import extract_features, knn_accuracy


@HOOKS.register_module()
class KNNMonitorHook(Hook):
    """Online k-NN accuracy of the backbone during self-supervised training.

    Every ``interval`` epochs (and, with ``eval_before_train``, once on the
    initial weights) the backbone embeds a labelled reference set and a
    query set (no augmentation, L2-normalised pooled features) and the hook
    logs

    - ``knn_top1`` / ``knn_top5``: weighted k-NN of mmselfsup / DINO
      (``k``, temperature ``temperature``);
    - ``knn_<k>nn``: majority-vote accuracy for each ``majority_ks`` (the
      MSF paper's 1-NN / 20-NN protocol).

    Results go to every visualizer backend under ``knn/``, to the log, and
    to the message hub's runtime info ``knn_history`` (a list of
    ``{'epoch': e, **metrics}``).

    Args:
        reference_dataloader (dict): Dataloader config of the labelled
            reference ("train") set; use a non-shuffling ``DefaultSampler``
            and a deterministic pipeline.
        query_dataloader (dict): Dataloader config of the query ("val") set.
        interval (int): Evaluate every ``interval`` epochs. Defaults to 1.
        eval_before_train (bool): Also evaluate before the first step.
            Defaults to True.
        k (int): Neighbours of the weighted protocol. Defaults to 20.
        temperature (float): Temperature of the weighted protocol.
            Defaults to 0.07.
        majority_ks (Sequence[int]): k values of the majority protocol.
            Defaults to (1, 20).
    """

    priority = 'LOW'

    def __init__(
        self,
        reference_dataloader: dict,
        query_dataloader: dict,
        interval: int = 1,
        eval_before_train: bool = True,
        k: int = 20,
        temperature: float = 0.07,
        majority_ks: Sequence[int] = (1, 20)) -> None:
        if interval < 1:
            raise ValueError(f'KNNMonitorHook: interval must be >= 1, got '
                             f'{interval}.')
        self.reference_cfg = reference_dataloader
        self.query_cfg = query_dataloader
        self.interval = interval
        self.eval_before_train = eval_before_train
        self.k = k
        self.temperature = temperature
        self.majority_ks = tuple(majority_ks)
        self._loaders: Optional[tuple] = None

    def _build(self, runner: Runner) -> tuple:
        if self._loaders is None:
            seed = runner.seed
            self._loaders = (Runner.build_dataloader(self.reference_cfg,
                                                     seed=seed),
                             Runner.build_dataloader(self.query_cfg,
                                                     seed=seed))
        return self._loaders

    def evaluate(self, runner: Runner) -> Dict[str, float]:
        """Embed both sets with the current backbone and score k-NN.

        Returns:
            dict[str, float]: Accuracies in percent.
        """
        reference, query = self._build(runner)
        ref_feats, ref_labels = extract_features(runner.model, reference)
        qry_feats, qry_labels = extract_features(runner.model, query)
        if (ref_labels < 0).any() or (qry_labels < 0).any():
            raise ValueError('KNNMonitorHook needs labelled reference and '
                             'query datasets.')
        return self.score(ref_feats, ref_labels, qry_feats, qry_labels)

    def score(self, ref_feats: torch.Tensor, ref_labels: torch.Tensor,
              qry_feats: torch.Tensor,
              qry_labels: torch.Tensor) -> Dict[str, float]:
        """Both votes from one neighbour search (:func:`knn_accuracy`).

        Args:
            ref_feats (torch.Tensor): M x D reference features.
            ref_labels (torch.Tensor): M labels.
            qry_feats (torch.Tensor): N x D query features.
            qry_labels (torch.Tensor): N labels.

        Returns:
            dict[str, float]: ``knn_top1``, ``knn_top5`` and ``knn_<k>nn``
            in percent.
        """
        num_classes = int(max(ref_labels.max(), qry_labels.max())) + 1
        metrics, notes = knn_accuracy(ref_feats,
                                      ref_labels,
                                      qry_feats,
                                      qry_labels,
                                      majority_ks=self.majority_ks,
                                      weighted_ks=(self.k, ),
                                      temperature=self.temperature,
                                      num_classes=num_classes)
        if notes:
            raise ValueError(f'KNNMonitorHook: {"; ".join(notes)}.')
        top1, top5 = (metrics.pop(f'weighted_k{self.k}_{key}')
                      for key in ('top1', 'top5'))
        return dict(knn_top1=top1, knn_top5=top5, **metrics)

    def _run(self, runner: Runner) -> None:
        metrics = self.evaluate(runner)
        epoch = runner.epoch
        runner.visualizer.add_scalars(
            {
                f'knn/{k}': v
                for k, v in metrics.items()
            }, step=runner.iter)
        history = runner.message_hub.get_info('knn_history') or []
        history.append(dict(epoch=epoch, iter=runner.iter, **metrics))
        runner.message_hub.update_info('knn_history', history)
        print_log(f'kNN monitor (epoch {epoch}, iter {runner.iter}): ' +
                  ', '.join(f'{k}: {v:.2f}' for k, v in metrics.items()),
                  logger='current')

    def before_train(self, runner: Runner) -> None:
        """Score the initial weights (a resumed run skips this)."""
        if self.eval_before_train and runner.iter == 0:
            self._run(runner)

    def after_train_epoch(self, runner: Runner) -> None:
        """Score the backbone every ``interval`` epochs."""
        if self.every_n_epochs(runner, self.interval) or \
                self.is_last_train_epoch(runner):
            self._run(runner)
