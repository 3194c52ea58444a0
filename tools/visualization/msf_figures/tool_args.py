# Copyright (c) mmmsf contributors. All rights reserved.
"""Command-line arguments shared by the figure and clustering tools."""
import argparse
from typing import Optional

from mmengine.config import Config, DictAction

from .paper_figures import apply_data_config


def add_model_args(parser: argparse.ArgumentParser,
                   many_checkpoints: bool = False) -> None:
    """CONFIG, CHECKPOINT(s) and the flags of ``knn_eval.py`` that choose
    the weights and the labelled sets.

    Args:
        parser (argparse.ArgumentParser): Parser to extend.
        many_checkpoints (bool): Accept several checkpoints.
            Defaults to False.
    """
    parser.add_argument('config', help='pretraining config (MSF, BYOL ...)')
    parser.add_argument(
        'checkpoint',
        nargs='+' if many_checkpoints else None,
        help='checkpoint of the pretraining, or "random" for the randomly '
        'initialised backbone (the config\'s seed)')
    parser.add_argument('--prefix',
                        default='backbone.',
                        help='prefix of the backbone keys in the checkpoint; '
                        '"target_net.module.0." selects the momentum backbone')
    parser.add_argument(
        '--data-config',
        help='config whose knn_reference_dataloader / knn_query_dataloader '
        'replace those of CONFIG (e.g. configs/benchmarks/knn/'
        'imagenet_knn.py)')
    parser.add_argument('--cfg-options',
                        nargs='+',
                        action=DictAction,
                        help='override settings of CONFIG, key=value pairs')


def load_model_config(args: argparse.Namespace) -> Config:
    """The config of :func:`add_model_args`'s arguments, labelled sets
    checked."""
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    apply_data_config(cfg, args.data_config)
    return cfg


def checkpoint_or_none(checkpoint: str) -> Optional[str]:
    """``None`` for ``"random"`` (random init), else the path."""
    return None if checkpoint == 'random' else checkpoint
