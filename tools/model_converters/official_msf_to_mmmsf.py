# Copyright (c) mmmsf contributors. All rights reserved.
"""Import a checkpoint of the official MSF code into mmmsf.

Renames ``encoder_q`` (backbone + projector), ``encoder_t`` (target),
``predict_q`` (predictor) and the ``queue`` / ``labels`` / ``queue_ptr``
bank, with or without DataParallel's ``module.``, checks every key against
an MSF model built from ``--config`` (bank size taken from the queue) and
writes an mmengine checkpoint for ``load_from``, the evaluation tools and
fine-tuning. The options the official run saved with the checkpoint
(``opt``: arch, topk, mem_bank_size, momentum, augmentation) must agree with
the config, or the import stops naming the differences
(``--ignore-options`` imports anyway). The released ResNet-50::

    python tools/model_converters/official_msf_to_mmmsf.py \\
        msf_official_r50.pth work_dirs/msf_official_r50_mmmsf.pth \\
        --config configs/msf/msf_resnet50-k10_8xb32-coslr-200e_in1k.py
"""
import argparse
import os.path as osp
import sys

import torch

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, ROOT)
from mmmsf.checkpoint import check_state_dict
from mmmsf.checkpoint.model_converters import (load_official_checkpoint,
                                               official_msf_to_mmmsf,
                                               official_options_mismatches)


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('checkpoint', help='official MSF checkpoint')
    parser.add_argument('output', help='mmmsf checkpoint to write')
    parser.add_argument('--config',
                        default=osp.join(ROOT, 'configs',
                                         'msf_r50_8xb32_200e_in1k.py'),
                        help='MSF config the checkpoint must match')
    parser.add_argument(
        '--ignore-options',
        action='store_true',
        help='import even if the options saved with the checkpoint (topk, '
        'bank size, views, ...) differ from the config')
    return parser.parse_args()


def main():
    args = parse_args()
    from mmengine.config import Config
    from mmengine.registry import init_default_scope
    from mmpretrain.registry import MODELS

    import mmmsf  # noqa: F401

    official = load_official_checkpoint(args.checkpoint)
    state_dict = official_msf_to_mmmsf(official['state_dict'])
    cfg = Config.fromfile(args.config)
    opt = official.get('opt')
    if isinstance(opt, argparse.Namespace) and not args.ignore_options:
        problems = official_options_mismatches(opt, cfg)
        if problems:
            raise ValueError(
                f'{args.checkpoint} was trained with other options than '
                f'{args.config}: ' + '; '.join(problems) + '. Use the '
                'config of these options (docs/reproduce.md), or pass '
                '--ignore-options to import the weights anyway.')
    init_default_scope(cfg.get('default_scope', 'mmpretrain'))
    if 'memory.feats' in state_dict:
        cfg.model.memory.size = state_dict['memory.feats'].shape[0]
    model = MODELS.build(cfg.model)
    check_state_dict(model.state_dict(), state_dict,
                     f'{args.checkpoint} -> MSF ({args.config})')
    model.load_state_dict(state_dict, strict=True)
    meta = dict(source=osp.abspath(args.checkpoint),
                epoch=official.get('epoch'),
                cfg=cfg.pretty_text,
                converted_from='official MSF (github.com/UMBCvision/MSF)')
    torch.save(dict(meta=meta, state_dict=model.state_dict()), args.output)
    print(f'wrote {args.output}: {len(state_dict)} tensors, bank '
          f'{cfg.model.memory.size} x {cfg.model.memory.dim}, from '
          f'{args.checkpoint}')


if __name__ == '__main__':
    main()
