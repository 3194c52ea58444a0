# Copyright (c) mmmsf contributors. All rights reserved.
"""Train the instance-conditioned generator of LMA (IC-GAN) with the
mmengine Runner.

The flags are those of ``tools/train.py``; ``--resume`` continues an
interrupted run exactly::

    python tools/lma/train_generator.py configs/lma/icgan_digits_cpu.py
    python tools/lma/train_generator.py configs/lma/icgan_digits_cpu.py \\
        --resume

The EMA generator of the last checkpoint is what
``mmmsf.checkpoint.load_generator`` and the ``LocalManifoldAugment``
transform read; sample grids are written to ``<work_dir>/samples``.
"""
import argparse
import os
import os.path as osp
import sys

from mmengine.config import Config

sys.path.insert(0,
                osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
from mmmsf.apis import add_common_args  # noqa
from mmmsf.apis import (build_runner, destroy_process_group,
                        enable_fault_handler, load_config,
                        mmpretrain_merge_args)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Train an LMA generator (IC-GAN)')
    add_common_args(parser)
    parser.add_argument(
        '--resume',
        nargs='?',
        type=str,
        const='auto',
        help='resume from the given checkpoint, or with no value (or "auto") '
        'from the latest checkpoint in the work dir')
    # flags of tools/train.py that a GAN's two optimizers do not take
    parser.set_defaults(amp=False,
                        auto_scale_lr=False,
                        no_validate=False,
                        no_pin_memory=False,
                        no_persistent_workers=False)
    args = parser.parse_args(argv)
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    return args


def build_config(args: argparse.Namespace) -> Config:
    """The config as mmpretrain's ``tools/train.py`` resolves it.

    Args:
        args (argparse.Namespace): Parsed :func:`parse_args`.

    Returns:
        Config: The config for the Runner.
    """
    return mmpretrain_merge_args('train')(load_config(args), args)


def main(argv=None) -> None:
    enable_fault_handler()
    cfg = build_config(parse_args(argv))
    # the configs' runner_type (CheckpointSafeRunner)
    runner = build_runner(cfg)
    runner.train()
    del runner  # DDP holds the process group: free it while ranks live
    destroy_process_group()


if __name__ == '__main__':
    main()
