# Copyright (c) mmmsf contributors. All rights reserved.
"""k-means of the backbone features into C clusters, scored against the
labels (NMI, adjusted Rand index, Hungarian cluster accuracy), and a grid
of each cluster's members nearest to its centre::

    python tools/analysis_tools/kmeans_clusters.py CONFIG CHECKPOINT \
        [--num-clusters 10] [--split query] [--work-dir DIR]

Writes ``kmeans_metrics.json`` and ``kmeans_clusters.png`` to the work dir
(default ``work_dirs/kmeans/<config>/<checkpoint>``).
"""
import argparse
import json
import os
import os.path as osp
import sys

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, ROOT)
sys.path.insert(0, osp.join(ROOT, 'tools', 'visualization'))  # msf_figures
from msf_figures.paper_figures import kmeans_report
from msf_figures.tool_args import (add_model_args, checkpoint_or_none,
                                   load_model_config)


def parse_args():
    parser = argparse.ArgumentParser(description='k-means of features')
    add_model_args(parser)
    parser.add_argument('--num-clusters',
                        type=int,
                        help='C (default: the number of classes)')
    parser.add_argument('--split',
                        choices=['query', 'reference'],
                        default='query',
                        help='held-out (query) or training (reference) set')
    parser.add_argument('--members',
                        type=int,
                        default=10,
                        help='members shown per cluster')
    parser.add_argument('--seed', type=int, default=0, help='k-means seed')
    parser.add_argument('--work-dir', help='where the JSON and PNG go')
    parser.add_argument('--out',
                        help='PNG (default WORK_DIR/'
                        'kmeans_clusters.png)')
    parser.add_argument('--no-figure',
                        action='store_true',
                        help='only compute the metrics')
    args = parser.parse_args()
    if args.work_dir is None:
        args.work_dir = osp.join(
            'work_dirs', 'kmeans',
            osp.splitext(osp.basename(args.config))[0],
            osp.splitext(osp.basename(args.checkpoint))[0])
    return args


def main():
    args = parse_args()
    os.makedirs(args.work_dir, exist_ok=True)
    out = None if args.no_figure else (
        args.out or osp.join(args.work_dir, 'kmeans_clusters.png'))
    checkpoint = checkpoint_or_none(args.checkpoint)
    metrics, _ = kmeans_report(load_model_config(args),
                               checkpoint,
                               out,
                               num_clusters=args.num_clusters,
                               split=args.split,
                               members=args.members,
                               prefix=args.prefix,
                               seed=args.seed)
    result = dict(config=args.config,
                  checkpoint=checkpoint,
                  random_init=checkpoint is None,
                  split=args.split,
                  seed=args.seed,
                  figure=out,
                  metrics=metrics)
    path = osp.join(args.work_dir, 'kmeans_metrics.json')
    with open(path, 'w') as f:
        json.dump(result, f, indent=2)
    print(f'NMI {metrics["nmi"]:.4f}, ARI {metrics["ari"]:.4f}, cluster '
          f'accuracy {100 * metrics["cluster_acc"]:.2f}% '
          f'({metrics["num_clusters"]} clusters, {metrics["num_samples"]} '
          f'images); metrics in {path}' + (f', figure {out}' if out else ''))


if __name__ == '__main__':
    main()
