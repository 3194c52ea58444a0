# Copyright (c) mmmsf contributors. All rights reserved.
"""k-NN evaluation of a pretrained backbone (MSF, BYOL, MoCo ...).

Builds the model of the pretraining CONFIG, loads the backbone of
CHECKPOINT strictly, embeds the config's ``knn_reference_dataloader``
(labelled "train" set) and ``knn_query_dataloader`` ("val" set), caches the
features in the work dir and writes the accuracies to a JSON file::

    python tools/benchmarks/knn_eval.py CONFIG CHECKPOINT [--faiss]
    bash tools/benchmarks/knn_eval.sh CONFIG CHECKPOINT 8
    python tools/benchmarks/knn_eval.py CONFIG --random-init  # baseline
"""
import argparse
import hashlib
import json
import logging
import os
import os.path as osp
import sys
import time

import torch
from mmengine.config import Config
from mmengine.dist import get_rank, init_dist, is_distributed, is_main_process
from mmengine.logging import MMLogger, print_log
from mmengine.registry import init_default_scope
from mmengine.runner import Runner, set_random_seed

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, ROOT)
from mmmsf.apis import add_common_args, destroy_process_group, load_config
from mmmsf.checkpoint import load_backbone_checkpoint
from mmmsf.evaluation import extract_features, knn_accuracy

LOADER_KEYS = ('knn_reference_dataloader', 'knn_query_dataloader')


def parse_args():
    parser = argparse.ArgumentParser(description='k-NN evaluation')
    add_common_args(parser)
    parser.add_argument(
        'checkpoint',
        nargs='?',
        help='checkpoint of the pretraining (or a plain backbone state dict)')
    parser.add_argument(
        '--random-init',
        action='store_true',
        help='evaluate the randomly initialised backbone (no checkpoint)')
    parser.add_argument(
        '--prefix',
        default='backbone.',
        help='prefix of the backbone keys in the checkpoint; '
        '"target_net.module.0." selects the momentum backbone of MSF/BYOL')
    parser.add_argument(
        '--data-config',
        help='config whose knn_reference_dataloader / knn_query_dataloader '
        'replace those of CONFIG (e.g. configs/benchmarks/knn/'
        'imagenet_knn.py for an ImageNet pretraining config)')
    parser.add_argument(
        '--majority-ks',
        type=int,
        nargs='+',
        default=[1, 20],
        help='k of the majority vote (the MSF paper reports 1 and 20)')
    parser.add_argument('--weighted-ks',
                        type=int,
                        nargs='+',
                        default=[10, 20, 100, 200],
                        help='k of the weighted vote (DINO / mmselfsup)')
    parser.add_argument('--temperature',
                        type=float,
                        default=0.07,
                        help='temperature of the weighted vote')
    parser.add_argument('--faiss',
                        action='store_true',
                        help='search neighbours with faiss')
    parser.add_argument(
        '--no-cache',
        action='store_true',
        help='extract the features again even if they are cached')
    parser.add_argument(
        '--out', help='metrics JSON (default: WORK_DIR/knn_metrics.json)')
    args = parser.parse_args()
    if args.random_init == bool(args.checkpoint):
        parser.error('give either CHECKPOINT or --random-init')
    if args.work_dir is None:
        name = 'random_init' if args.random_init else osp.splitext(
            osp.basename(args.checkpoint))[0]
        args.work_dir = osp.join('work_dirs', 'knn',
                                 osp.splitext(osp.basename(args.config))[0],
                                 name)
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    return args


def seed_of(cfg: Config) -> int:
    """The config's seed (0 if unset): it fixes a random initialisation."""
    return cfg.get('randomness', {}).get('seed') or 0


def cache_key(cfg: Config, args) -> str:
    """Features depend on the weights, the model and the two datasets."""
    if args.random_init:
        weights = f'random_init, seed {seed_of(cfg)}'
    else:
        stat = os.stat(args.checkpoint)
        weights = (f'{osp.realpath(args.checkpoint)} {stat.st_size} '
                   f'{stat.st_mtime_ns} {args.prefix}')
    content = json.dumps([weights, cfg.model] + [cfg[k] for k in LOADER_KEYS],
                         sort_keys=True,
                         default=str)
    return hashlib.sha256(content.encode()).hexdigest()[:16]


def extract_or_load(cfg: Config, args, model: torch.nn.Module) -> dict:
    """Features of both sets, from the cache when possible."""
    path = osp.join(cfg.work_dir, f'features_{cache_key(cfg, args)}.pth')
    if osp.isfile(path) and not args.no_cache:
        print_log(f'Loading cached features from {path}', logger='current')
        return torch.load(path, map_location='cpu', weights_only=True)
    feats = {}
    for name, key in zip(('train', 'val'), LOADER_KEYS):
        loader = Runner.build_dataloader(cfg[key], seed=seed_of(cfg))
        feats[f'{name}_feats'], feats[f'{name}_labels'] = extract_features(
            model, loader, progress=True)
        print_log(
            f'Extracted {feats[f"{name}_feats"].shape[0]} {name} features '
            f'of dimension {feats[f"{name}_feats"].shape[1]}.',
            logger='current')
    if is_main_process():
        torch.save(feats, path)
        print_log(f'Cached the features in {path}', logger='current')
    return feats


def main():
    args = parse_args()
    cfg = load_config(args)
    if args.data_config:
        data_cfg = Config.fromfile(args.data_config)
        for key in LOADER_KEYS:
            cfg[key] = data_cfg[key]
    missing = [key for key in LOADER_KEYS if key not in cfg]
    if missing:
        raise KeyError(f'{args.config} has no {" / ".join(missing)}: add '
                       f'them or pass --data-config.')
    if args.launcher != 'none' and not is_distributed():
        # (without CUDA, load_config has joined the group with gloo)
        init_dist(args.launcher, **cfg.env_cfg.get('dist_cfg', {}))
    os.makedirs(cfg.work_dir, exist_ok=True)
    timestamp = time.strftime('%Y%m%d_%H%M%S', time.localtime())
    MMLogger.get_instance('mmmsf_knn',
                          log_file=osp.join(cfg.work_dir,
                                            f'knn_{timestamp}.log'),
                          log_level='INFO')
    init_default_scope(cfg.get('default_scope', 'mmpretrain'))
    set_random_seed(seed_of(cfg))

    from mmpretrain.registry import MODELS
    model = MODELS.build(cfg.model)
    model.init_weights()
    if args.random_init:
        print_log(
            'knn_eval: NO checkpoint is loaded, the backbone is RANDOMLY '
            'initialised (a baseline).',
            logger='current',
            level=logging.WARNING)
    else:
        load_backbone_checkpoint(model.backbone, args.checkpoint, args.prefix)
    if torch.cuda.is_available():
        model = model.cuda(torch.cuda.current_device())

    feats = extract_or_load(cfg, args, model)
    del model
    rank = get_rank()
    destroy_process_group()  # every rank holds all features now
    if rank != 0:
        return
    metrics, notes = knn_accuracy(feats['train_feats'],
                                  feats['train_labels'],
                                  feats['val_feats'],
                                  feats['val_labels'],
                                  majority_ks=args.majority_ks,
                                  weighted_ks=args.weighted_ks,
                                  temperature=args.temperature,
                                  use_faiss=args.faiss)
    for note in notes:
        print_log(f'knn_eval: {note}', logger='current')
    print_log('knn_eval: ' + ', '.join(f'{k}: {v:.2f}'
                                       for k, v in metrics.items()),
              logger='current')
    result = dict(config=args.config,
                  checkpoint=None if args.random_init else args.checkpoint,
                  random_init=args.random_init,
                  prefix=None if args.random_init else args.prefix,
                  num_train=int(feats['train_feats'].shape[0]),
                  num_val=int(feats['val_feats'].shape[0]),
                  temperature=args.temperature,
                  faiss=args.faiss,
                  metrics=metrics,
                  notes=notes)
    out = args.out or osp.join(cfg.work_dir, 'knn_metrics.json')
    with open(out, 'w') as f:
        json.dump(result, f, indent=2)
    print_log(f'knn_eval: metrics written to {out}', logger='current')


if __name__ == '__main__':
    main()
