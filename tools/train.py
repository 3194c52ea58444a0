# Copyright (c) mmmsf contributors. All rights reserved.
"""Train MSF (or any mmpretrain model) with the mmengine Runner.

Same flags as mmpretrain's ``tools/train.py``::

    python tools/train.py configs/msf_r50_8xb32_200e_in1k.py
    bash tools/dist_train.sh configs/msf_r50_8xb32_200e_in1k.py 8
"""
import argparse
import os
import os.path as osp
import sys

from mmengine.config import Config
from mmengine.device import (is_cuda_available, is_mlu_available,
                             is_npu_available)

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))
from mmmsf.apis import add_common_args  # noqa
from mmmsf.apis import (build_runner, destroy_process_group,
                        enable_fault_handler, load_config,
                        mmpretrain_merge_args)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Train a model')
    add_common_args(parser)
    parser.add_argument(
        '--resume',
        nargs='?',
        type=str,
        const='auto',
        help='resume from the given checkpoint, or with no value (or "auto") '
        'from the latest checkpoint in the work dir')
    parser.add_argument(
        '--migrate-memory',
        action='store_true',
        help='resume/load a checkpoint whose memory bank has another size '
        'or dtype, keeping its newest entries (CheckpointSafeRunner)')
    parser.add_argument(
        '--allow-partial-load',
        action='store_true',
        help='load what fits of a checkpoint that does not match the '
        'model, warning for every skipped key (CheckpointSafeRunner)')
    parser.add_argument('--amp',
                        action='store_true',
                        help='enable automatic mixed precision')
    parser.add_argument('--no-validate',
                        action='store_true',
                        help='skip validation during training')
    parser.add_argument('--auto-scale-lr',
                        action='store_true',
                        help='scale the lr linearly with the total batch size')
    parser.add_argument('--no-pin-memory',
                        action='store_true',
                        help='disable pin_memory in the dataloaders')
    parser.add_argument('--no-persistent-workers',
                        action='store_true',
                        help='disable persistent_workers in the dataloaders')
    args = parser.parse_args(argv)
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    return args


def build_config(args: argparse.Namespace) -> Config:
    """The config ``args`` resolve to: mmpretrain's ``merge_args`` applied
    to the config as :func:`load_config` reads it (which also lets a
    distributed launch run on CPU).

    Args:
        args (argparse.Namespace): Parsed :func:`parse_args`.

    Returns:
        Config: The config for the Runner.
    """
    if args.amp and not (is_cuda_available() or is_npu_available()
                         or is_mlu_available()):
        raise ValueError(
            '--amp needs a CUDA, NPU or MLU device: mmengine\'s '
            'AmpOptimWrapper scales the loss with a device GradScaler, '
            'and none is available here. Drop --amp to train in float32.')
    # merge_args applies --cfg-options again, last, as mmpretrain does
    # (merging the same options twice leaves the config unchanged)
    cfg = mmpretrain_merge_args('train')(load_config(args), args)
    for flag, key in ((args.migrate_memory, 'migrate_memory'),
                      (args.allow_partial_load, 'allow_partial')):
        if flag:
            cfg.setdefault('load_checkpoint_cfg', {})[key] = True
    return cfg


def main():
    enable_fault_handler()
    args = parse_args()
    cfg = build_config(args)

    # a config's runner_type (CheckpointSafeRunner) as in mmpretrain
    runner = build_runner(cfg)
    runner.train()
    del runner  # DDP holds the process group: free it while ranks live
    destroy_process_group()


if __name__ == '__main__':
    main()
