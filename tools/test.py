# Copyright (c) mmmsf contributors. All rights reserved.
"""Evaluate a checkpoint with the config's test loop (e.g. a linear
classifier trained by ``tools/benchmarks/linear_eval.sh``).

Same flags as mmpretrain's ``tools/test.py`` (its ``merge_args`` resolves
the config)::

    python tools/test.py CONFIG CHECKPOINT [--work-dir DIR] [--out FILE
        [--out-item {metrics,pred}]] [--show-dir DIR] [--tta] [--amp]
    bash tools/dist_test.sh CONFIG CHECKPOINT GPUS [flags]
    bash tools/slurm_test.sh PARTITION JOB_NAME CONFIG CHECKPOINT [flags]
"""
import argparse
import os
import os.path as osp
import sys

import mmengine
from mmengine.config import Config
from mmengine.evaluator import DumpResults

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))
from mmmsf.apis import add_common_args  # noqa
from mmmsf.apis import (build_runner, destroy_process_group,
                        enable_fault_handler, load_config,
                        mmpretrain_merge_args)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Test a model')
    add_common_args(parser)
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument(
        '--out',
        help='dump the predictions (pickle), or the metrics with '
        '--out-item metrics (json/yaml/pickle by the file suffix)')
    parser.add_argument('--out-item',
                        choices=['metrics', 'pred'],
                        help='what --out dumps (default: pred)')
    parser.add_argument('--amp',
                        action='store_true',
                        help='test with automatic mixed precision')
    parser.add_argument('--show-dir',
                        help='save images of the predictions here')
    parser.add_argument('--show',
                        action='store_true',
                        help='display the predictions in a window')
    parser.add_argument('--interval',
                        type=int,
                        default=1,
                        help='visualise every N-th sample')
    parser.add_argument('--wait-time',
                        type=float,
                        default=2,
                        help='seconds each --show window stays open')
    parser.add_argument('--no-pin-memory',
                        action='store_true',
                        help='disable pin_memory in the test dataloader')
    parser.add_argument(
        '--tta',
        action='store_true',
        help='test-time augmentation: the config\'s tta_model and '
        'tta_pipeline, or flip TTA averaging the class scores')
    args = parser.parse_args(argv)
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    return args


def build_config(args: argparse.Namespace) -> Config:
    """The config ``args`` resolve to: mmpretrain's test ``merge_args``
    applied to the config as :func:`load_config` reads it.

    Args:
        args (argparse.Namespace): Parsed :func:`parse_args`.

    Returns:
        Config: The config for ``Runner.from_cfg``.
    """
    if args.out is None and args.out_item is not None:
        raise ValueError('--out-item needs --out: the file to write.')
    cfg = load_config(args)
    if cfg.get('test_dataloader') is None:
        raise ValueError(
            f'{args.config} has no test_dataloader: it is a pretraining '
            f'config. Evaluate the backbone with '
            f'tools/benchmarks/knn_eval.sh or linear_eval.sh instead.')
    if (args.show or args.show_dir) and 'visualization' not in cfg.get(
            'default_hooks', {}):
        raise ValueError(
            f'--show/--show-dir need a VisualizationHook: {args.config} has '
            f'no default_hooks.visualization (mmpretrain\'s '
            f'_base_/default_runtime.py sets one).')
    return mmpretrain_merge_args('test')(cfg, args)


def main():
    enable_fault_handler()
    args = parse_args()
    cfg = build_config(args)
    # a config's runner_type (CheckpointSafeRunner: strict load_from)
    runner = build_runner(cfg)
    if args.out and args.out_item in ('pred', None):
        runner.test_evaluator.metrics.append(
            DumpResults(out_file_path=args.out))
    metrics = runner.test()
    del runner  # DDP holds the process group: free it while ranks live
    destroy_process_group()
    if args.out and args.out_item == 'metrics':
        mmengine.dump(metrics, args.out)


if __name__ == '__main__':
    main()
