# Copyright (c) mmmsf contributors. All rights reserved.
"""Training curves of a work dir: loss, neighbour purity and the online
k-NN accuracy (``KNNMonitorHook``), from mmengine's ``scalars.json``::

    python tools/analysis_tools/plot_curves.py WORK_DIR [--out curves.png]
    python tools/analysis_tools/plot_curves.py WORK_DIR --keys loss lr

mmpretrain's ``analyze_logs.py plot_curve`` plots the keys of one JSON
log; this reads every run of the work dir (resumes included), where the
k-NN monitor's scalars are logged at their own steps, and groups the
metrics of the MSF paper into panels.
"""
import argparse
import json
import os.path as osp
import sys

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, ROOT)
sys.path.insert(0, osp.join(ROOT, 'tools', 'visualization'))  # msf_figures
from msf_figures.paper_figures import training_curves_figure


def parse_args():
    parser = argparse.ArgumentParser(description='plot training curves')
    parser.add_argument('work_dir', help='work dir of a training run')
    parser.add_argument('--out',
                        help='PNG (default WORK_DIR/training_curves.png)')
    parser.add_argument('--keys',
                        nargs='+',
                        help='plot these scalars, one panel each, instead '
                        'of loss / purity / online k-NN')
    return parser.parse_args()


def main():
    args = parse_args()
    out = args.out or osp.join(args.work_dir, 'training_curves.png')
    panels = [(key, key, (key, )) for key in args.keys] if args.keys else None
    print(json.dumps(training_curves_figure(args.work_dir, out, panels)))


if __name__ == '__main__':
    main()
