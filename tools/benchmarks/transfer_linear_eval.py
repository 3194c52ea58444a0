# Copyright (c) mmmsf contributors. All rights reserved.
"""Linear transfer evaluation (the MSF paper's table 3).

One dataset (CONFIG a file of ``configs/benchmarks/transfer/``)::

    python tools/benchmarks/transfer_linear_eval.py \\
        configs/benchmarks/transfer/resnet50_lbfgs-linear_food101.py CKPT

Every dataset whose data root exists (CONFIG a folder), then a markdown and
JSON summary beside the paper's numbers::

    python tools/benchmarks/transfer_linear_eval.py \\
        configs/benchmarks/transfer CKPT
    bash tools/benchmarks/transfer_linear_eval.sh CKPT

Features are cached in the work dir (per checkpoint and dataset), so a
rerun only refits the classifiers. See docs/transfer.md.
"""
import argparse
import glob
import json
import os
import os.path as osp
import sys
import time

from mmengine.config import Config
from mmengine.logging import MMLogger, print_log
from mmengine.registry import init_default_scope
from mmengine.runner import set_random_seed

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, ROOT)
# the feature extraction and the paper's table, beside this file
sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
from transfer_pipeline import evaluate_transfer_config  # noqa: E402
from transfer_report import transfer_summary_markdown  # noqa: E402

from mmmsf.apis import add_common_args  # noqa: E402


def parse_args():
    parser = argparse.ArgumentParser(
        description='Linear transfer evaluation on frozen features. CONFIG '
        'is a config of configs/benchmarks/transfer (one dataset) or a '
        'folder of them (every dataset whose data root exists, then '
        'transfer_summary.md / .json in the work dir).')
    add_common_args(parser)
    parser.add_argument(
        'checkpoint',
        help='checkpoint of the pretraining (or a plain backbone state dict)')
    parser.add_argument(
        '--prefix',
        default='backbone.',
        help='prefix of the backbone keys in the checkpoint; '
        '"target_net.module.0." selects the momentum backbone of MSF/BYOL')
    parser.add_argument(
        '--lambdas',
        type=float,
        nargs='+',
        help='regularisation strengths (1 / C) to choose from; default: the '
        "config's logistic_regression.lambdas, else the protocol's 45 values"
        ' logspace(-6, 5, 45)')
    parser.add_argument(
        '--n-jobs',
        type=int,
        default=1,
        help='threads for the regularisation sweep (pieces of the grid)')
    parser.add_argument(
        '--no-cache',
        action='store_true',
        help='extract the features again even if they are cached')
    args = parser.parse_args()
    if args.launcher != 'none':
        parser.error('transfer_linear_eval.py runs in one process')
    ckpt_name = osp.splitext(osp.basename(args.checkpoint))[0]
    if args.work_dir is None:
        args.work_dir = osp.join('work_dirs', 'transfer', ckpt_name)
        if osp.isfile(args.config):
            args.work_dir = osp.join(args.work_dir, config_name(args.config))
    return args


def config_name(path: str) -> str:
    """The config's file name without extension."""
    return osp.splitext(osp.basename(path))[0]


def load(path: str, args) -> Config:
    """A transfer config with the command line's overrides."""
    cfg = Config.fromfile(path)
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    if args.lambdas is not None:
        cfg.logistic_regression.lambdas = args.lambdas
    return cfg


def run_one(cfg: Config, work_dir: str, args) -> dict:
    """Evaluate one dataset and write ``transfer_metrics.json``."""
    os.makedirs(work_dir, exist_ok=True)
    init_default_scope(cfg.get('default_scope', 'mmpretrain'))
    set_random_seed(cfg.get('randomness', {}).get('seed') or 0)
    result = evaluate_transfer_config(
        cfg,
        args.checkpoint,
        args.prefix,
        cache_dir=None if args.no_cache else work_dir,
        n_jobs=args.n_jobs)
    out = osp.join(work_dir, 'transfer_metrics.json')
    with open(out, 'w') as f:
        json.dump(result, f, indent=2)
    print_log(
        f'transfer {result["dataset"]}: test {result["metric"]} '
        f'{result["test_score"]:.2f} (lambda {result["best_lambda"]:.3g}); '
        f'written to {out}',
        logger='current')
    return result


def main():
    args = parse_args()
    os.makedirs(args.work_dir, exist_ok=True)
    timestamp = time.strftime('%Y%m%d_%H%M%S', time.localtime())
    MMLogger.get_instance(f'mmmsf_transfer_{args.work_dir}_{timestamp}',
                          log_file=osp.join(args.work_dir,
                                            f'transfer_{timestamp}.log'),
                          log_level='INFO')
    if osp.isfile(args.config):
        run_one(load(args.config, args), args.work_dir, args)
        return
    if not osp.isdir(args.config):
        raise FileNotFoundError(
            f'{args.config} is neither a config file nor a folder of them')
    paths = sorted(glob.glob(osp.join(args.config, '*.py')))
    if not paths:
        raise FileNotFoundError(f'no config in {args.config}')
    results, skipped = {}, []
    for path in paths:
        cfg = load(path, args)
        root = cfg.transfer.dataset.data_root
        if not osp.isdir(root):
            print_log(f'transfer: skipping {config_name(path)}: no {root}',
                      logger='current')
            skipped.append(config_name(path))
            continue
        result = run_one(cfg, osp.join(args.work_dir, config_name(path)), args)
        results[result['dataset']] = result
    table = transfer_summary_markdown(results)
    with open(osp.join(args.work_dir, 'transfer_summary.md'), 'w') as f:
        f.write(f'Checkpoint: `{args.checkpoint}`\n\n{table}')
    with open(osp.join(args.work_dir, 'transfer_summary.json'), 'w') as f:
        json.dump(dict(checkpoint=args.checkpoint,
                       results={
                           k:
                           dict(metric=r['metric'],
                                test_score=r['test_score'],
                                best_lambda=r['best_lambda'],
                                val_source=r['val_source'])
                           for k, r in results.items()
                       },
                       skipped=skipped),
                  f,
                  indent=2)
    print_log('\n' + table, logger='current')
    print_log(
        f'transfer: summary written to '
        f'{osp.join(args.work_dir, "transfer_summary.md")} (and .json)',
        logger='current')


if __name__ == '__main__':
    main()
