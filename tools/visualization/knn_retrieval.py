# Copyright (c) mmmsf contributors. All rights reserved.
"""Nearest-neighbour retrieval grid (the MSF paper's retrieval figure).

Held-out query images (the config's ``knn_query_dataloader``) beside
their k nearest training images (``knn_reference_dataloader``) by cosine
similarity of the backbone features::

    python tools/visualization/knn_retrieval.py CONFIG CHECKPOINT \
        --out retrieval.png [--k 8] [--num-queries 8]
"""
import argparse
import json
import os.path as osp
import sys

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, ROOT)
sys.path.insert(0, osp.join(ROOT, 'tools', 'visualization'))  # msf_figures
from msf_figures.paper_figures import knn_retrieval_figure
from msf_figures.tool_args import (add_model_args, checkpoint_or_none,
                                   load_model_config)


def parse_args():
    parser = argparse.ArgumentParser(description='k-NN retrieval grid')
    add_model_args(parser)
    parser.add_argument('--out', required=True, help='PNG to write')
    parser.add_argument('--k', type=int, default=8, help='neighbours shown')
    parser.add_argument('--num-queries',
                        type=int,
                        default=8,
                        help='random queries from the query set')
    parser.add_argument('--query-indices',
                        type=int,
                        nargs='+',
                        help='query-set indices (instead of random ones)')
    parser.add_argument('--seed', type=int, default=0, help='query draw')
    return parser.parse_args()


def main():
    args = parse_args()
    info = knn_retrieval_figure(load_model_config(args),
                                checkpoint_or_none(args.checkpoint),
                                args.out,
                                num_queries=args.num_queries,
                                k=args.k,
                                query_indices=args.query_indices,
                                prefix=args.prefix,
                                seed=args.seed)
    print(
        json.dumps(
            dict(out_file=info['out_file'],
                 size=info['size'],
                 same_label=info['same_label'])))


if __name__ == '__main__':
    main()
