# Copyright (c) mmmsf contributors. All rights reserved.
"""Evaluate a checkpoint with the config's test loop (e.g. a linear
classifier trained by ``tools/benchmarks/linear_eval.sh``).

Same flags as mmpretrain's ``tools/test.py``::

    python tools/test.py CONFIG CHECKPOINT [--work-dir DIR] [--out FILE]
"""
import argparse
import os
import os.path as osp
import sys

from mmengine.runner import Runner

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))
from mmmsf.utils.config_utils import add_common_args  # noqa
from mmmsf.utils.config_utils import (destroy_process_group,
                                      enable_fault_handler, load_config)


def parse_args():
    parser = argparse.ArgumentParser(description='Test a model')
    add_common_args(parser)
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--out',
                        help='dump the metrics to this json/pickle file')
    args = parser.parse_args()
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    return args


def main():
    enable_fault_handler()
    args = parse_args()
    cfg = load_config(args)
    if cfg.get('test_dataloader') is None:
        raise ValueError(
            f'{args.config} has no test_dataloader: it is a pretraining '
            f'config. Evaluate the backbone with '
            f'tools/benchmarks/knn_eval.sh or linear_eval.sh instead.')
    cfg.load_from = args.checkpoint
    runner = Runner.from_cfg(cfg)
    metrics = runner.test()
    del runner  # DDP holds the process group: free it while ranks live
    destroy_process_group()
    if args.out:
        import mmengine
        mmengine.dump(metrics, args.out)


if __name__ == '__main__':
    main()
