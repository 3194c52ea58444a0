# Copyright (c) mmmsf contributors. All rights reserved.
"""t-SNE of a few classes for one or several checkpoints, one panel each
(the MSF paper's "t-SNE over epochs" figure)::

    python tools/visualization/tsne.py CONFIG random epoch_10.pth \
        epoch_30.pth --out tsne.png [--classes 0 1 2 3 4] [--per-class 100]

Unlike mmpretrain's ``vis_tsne.py`` (one checkpoint, features of a
classifier's ``test_dataloader``), this loads self-supervised checkpoints
strictly and puts several of them side by side on the same images.
"""
import argparse
import json
import os.path as osp
import sys

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, ROOT)
sys.path.insert(0, osp.join(ROOT, 'tools', 'visualization'))  # msf_figures
from msf_figures.paper_figures import tsne_figure
from msf_figures.tool_args import (add_model_args, checkpoint_or_none,
                                   load_model_config)


def parse_args():
    parser = argparse.ArgumentParser(description='t-SNE panels')
    add_model_args(parser, many_checkpoints=True)
    parser.add_argument('--out', required=True, help='PNG to write')
    parser.add_argument('--titles', nargs='+', help='one title per panel')
    parser.add_argument('--classes',
                        type=int,
                        nargs='+',
                        help='class indices shown (default: the first '
                        '--num-classes)')
    parser.add_argument('--num-classes', type=int, default=5)
    parser.add_argument('--per-class',
                        type=int,
                        default=100,
                        help='samples per class')
    parser.add_argument('--split',
                        choices=['query', 'reference'],
                        default='query',
                        help='held-out (query) or training (reference) set')
    parser.add_argument('--perplexity', type=float, default=30.0)
    parser.add_argument('--seed', type=int, default=0, help='t-SNE seed')
    args = parser.parse_args()
    if args.titles and len(args.titles) != len(args.checkpoint):
        parser.error(f'{len(args.titles)} titles for '
                     f'{len(args.checkpoint)} checkpoints')
    return args


def main():
    args = parse_args()
    info = tsne_figure(load_model_config(args),
                       [checkpoint_or_none(c) for c in args.checkpoint],
                       args.out,
                       titles=args.titles,
                       classes=args.classes,
                       num_classes=args.num_classes,
                       per_class=args.per_class,
                       split=args.split,
                       perplexity=args.perplexity,
                       prefix=args.prefix,
                       seed=args.seed)
    print(json.dumps(info))


if __name__ == '__main__':
    main()
