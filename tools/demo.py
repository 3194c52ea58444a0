# Copyright (c) mmmsf contributors. All rights reserved.
"""Pretrain MSF on the embedded digits and show that it learned.

Trains ``configs/msf_digits_cpu_demo.py`` with the mmengine Runner; its
``KNNMonitorHook`` scores the backbone with k-NN before training and
during it. Prints random-init vs trained k-NN accuracy and the final
neighbour purity, and writes ``demo_summary.json`` to the work dir.
"""
import argparse
import json
import os.path as osp
import sys
import time

from mmengine.config import Config, DictAction
from mmengine.runner import Runner

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, ROOT)
from mmmsf.utils.demo_report import format_report, summarize


def parse_args():
    parser = argparse.ArgumentParser(description='MSF CPU demo')
    parser.add_argument('--config',
                        default=osp.join(ROOT, 'configs',
                                         'msf_digits_cpu_demo.py'),
                        help='demo config')
    parser.add_argument('--work-dir',
                        default=osp.join(ROOT, 'work_dirs',
                                         'msf_digits_cpu_demo'),
                        help='where logs, checkpoints and the summary go')
    parser.add_argument('--cfg-options',
                        nargs='+',
                        action=DictAction,
                        help='overrides')
    return parser.parse_args()


def main():
    args = parse_args()
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    cfg.work_dir = args.work_dir
    start = time.time()
    runner = Runner.from_cfg(cfg)
    runner.train()
    summary = summarize(runner, time.time() - start)
    with open(osp.join(args.work_dir, 'demo_summary.json'), 'w') as f:
        json.dump(summary, f, indent=2)
    print(format_report(summary))


if __name__ == '__main__':
    main()
