# Copyright (c) mmmsf contributors. All rights reserved.
"""Pretrain MSF on the embedded digits and show that it learned.

Trains ``configs/msf_digits_cpu_demo.py`` with the mmengine Runner; its
``KNNMonitorHook`` scores the backbone with k-NN before training and
during it. Prints random-init vs trained k-NN accuracy and the final
neighbour purity, writes ``demo_summary.json`` to the work dir, and draws
three of the paper's figures there (docs/figures.md): nearest-neighbour
retrievals, t-SNE before and after MSF, and the training curves.
"""
import argparse
import json
import os.path as osp
import sys
import time

from mmengine.config import Config, DictAction

TOOLS = osp.dirname(osp.abspath(__file__))
ROOT = osp.dirname(TOOLS)
sys.path.insert(0, ROOT)
# the report (beside this file) and the figures (tools/visualization)
sys.path.insert(0, TOOLS)
sys.path.insert(0, osp.join(TOOLS, 'visualization'))
from demo_report import format_figures, format_report, summarize
from msf_figures.paper_figures import (knn_retrieval_figure, labelled_sets,
                                       training_curves_figure, tsne_figure)

from mmmsf.apis import build_runner  # noqa: E402


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
    parser.add_argument('--no-figures',
                        action='store_true',
                        help='skip the figures drawn after training')
    return parser.parse_args()


def write_figures(cfg: Config, work_dir: str) -> dict:
    """The paper's figures for the trained digits model (a few seconds).

    Args:
        cfg (Config): The demo config (with its k-NN sets).
        work_dir (str): The run's work dir (checkpoints, logs).

    Returns:
        dict: Figure name -> PNG path.
    """
    with open(osp.join(work_dir, 'last_checkpoint')) as f:
        checkpoint = f.read().strip()
    figures = dict(retrieval=osp.join(work_dir, 'knn_retrieval.png'),
                   tsne=osp.join(work_dir, 'tsne_random_vs_msf.png'),
                   curves=osp.join(work_dir, 'training_curves.png'))
    datasets = labelled_sets(cfg)  # load the digits once
    knn_retrieval_figure(cfg,
                         checkpoint,
                         figures['retrieval'],
                         datasets=datasets)
    tsne_figure(
        cfg, [None, checkpoint],
        figures['tsne'],
        titles=['random init', f'after MSF ({osp.basename(checkpoint)})'],
        per_class=50,
        datasets=datasets)
    training_curves_figure(work_dir, figures['curves'])
    return figures


def main():
    args = parse_args()
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    cfg.work_dir = args.work_dir
    start = time.time()
    # the config's runner_type (CheckpointSafeRunner: atomic checkpoints)
    runner = build_runner(cfg)
    runner.train()
    summary = summarize(runner, time.time() - start)
    with open(osp.join(args.work_dir, 'demo_summary.json'), 'w') as f:
        json.dump(summary, f, indent=2)
    figures = {}
    try:
        if not args.no_figures:
            figures = write_figures(cfg, args.work_dir)
    finally:
        print(format_report(summary))
    if figures:
        print(format_figures(figures))


if __name__ == '__main__':
    main()
