# Copyright (c) mmmsf contributors. All rights reserved.
"""Extract the backbone of an MSF (or mmpretrain/mmselfsup) checkpoint.

The output is ``{'meta': ..., 'state_dict': backbone weights}`` with no
prefix, no bank and no target net, loadable by mmpretrain / mmdet with
``init_cfg=dict(type='Pretrained', checkpoint=OUT)``::

    python tools/model_converters/extract_backbone_weights.py \\
        work_dirs/msf/epoch_200.pth msf_r50_backbone.pth
"""
import argparse
import os.path as osp
import sys

import torch

sys.path.insert(0,
                osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
from mmmsf.checkpoint import (backbone_state_dict, check_state_dict,
                              load_checkpoint_safely)
from mmmsf.checkpoint.model_converters import (backbone_cfg_from_checkpoint,
                                               build_backbone)


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('checkpoint', help='input checkpoint')
    parser.add_argument('output', help='output backbone checkpoint')
    parser.add_argument(
        '--prefix',
        default='backbone.',
        help="backbone key prefix; 'target_net.module.0.' takes MSF's "
        'momentum (target) backbone')
    parser.add_argument(
        '--config',
        help='config to check the keys against when the checkpoint does '
        'not embed its own (mmengine checkpoints do)')
    return parser.parse_args()


def main():
    args = parse_args()
    # memory-mapped: the memory bank is never read into RAM
    ckpt = load_checkpoint_safely(args.checkpoint, 'cpu', mmap=True)
    if args.config:
        from mmengine.config import Config
        backbone_cfg = Config.fromfile(args.config).model.backbone.to_dict()
    else:
        backbone_cfg = backbone_cfg_from_checkpoint(ckpt)
    if backbone_cfg is None:
        raise SystemExit(f'{args.checkpoint} embeds no config: pass '
                         f'--config so the keys can be checked strictly.')
    state_dict = backbone_state_dict(args.checkpoint, args.prefix)
    expected = build_backbone(backbone_cfg).state_dict()
    check_state_dict(
        expected, state_dict, f'{args.checkpoint} (prefix {args.prefix!r}) -> '
        f'{backbone_cfg["type"]}')
    meta = dict(source=osp.abspath(args.checkpoint),
                prefix=args.prefix,
                backbone=backbone_cfg)
    torch.save(dict(meta=meta, state_dict=state_dict), args.output)
    print(f'wrote {args.output}: {len(state_dict)} backbone tensors '
          f'({backbone_cfg["type"]}) from {args.checkpoint}')


if __name__ == '__main__':
    main()
