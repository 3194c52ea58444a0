# Copyright (c) mmmsf contributors. All rights reserved.
"""Export an MSF backbone as a torchvision ResNet state dict.

For torchvision / detectron2 users. The output loads with ``strict=True``
into ``torchvision.models.<arch>()`` once ``fc`` is removed; the tool checks
that by loading it and comparing features with mmmsf's backbone::

    python tools/model_converters/mmmsf_to_torchvision.py \\
        work_dirs/msf/epoch_200.pth msf_r50_torchvision.pth --arch resnet50
"""
import argparse
import os.path as osp
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0,
                osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
from mmmsf.checkpoint import backbone_state_dict, load_checkpoint_safely
from mmmsf.checkpoint.model_converters import (backbone_cfg_from_checkpoint,
                                               build_backbone,
                                               torchvision_resnet_state_dict)


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('checkpoint', help='MSF / mmengine checkpoint')
    parser.add_argument('output', help='torchvision state dict to write')
    parser.add_argument('--arch', default='resnet50', help='torchvision arch')
    parser.add_argument('--prefix', default='backbone.')
    return parser.parse_args()


@torch.no_grad()
def verify(state_dict, arch, backbone_cfg, backbone_weights) -> float:
    """Max abs difference of pooled features, torchvision vs mmpretrain."""
    import torchvision
    tv = getattr(torchvision.models, arch)()
    del tv.fc
    tv.fc = torch.nn.Identity()
    tv.load_state_dict(state_dict, strict=True)
    ours = build_backbone(backbone_cfg)
    ours.load_state_dict(backbone_weights, strict=True)
    tv.eval()
    ours.eval()
    x = torch.randn(2, 3, 224, 224)
    ref = F.adaptive_avg_pool2d(ours(x)[-1], 1).flatten(1)
    return float((tv(x) - ref).abs().max())


def main():
    args = parse_args()
    # memory-mapped: the memory bank is never read into RAM
    ckpt = load_checkpoint_safely(args.checkpoint, 'cpu', mmap=True)
    backbone = backbone_state_dict(args.checkpoint, args.prefix)
    state_dict = torchvision_resnet_state_dict(backbone, args.arch)
    backbone_cfg = backbone_cfg_from_checkpoint(ckpt)
    if backbone_cfg is not None:
        diff = verify(state_dict, args.arch, backbone_cfg, backbone)
        if diff > 1e-4:
            raise SystemExit(f'features differ by {diff:.3g} between '
                             f'torchvision {args.arch} and the backbone')
        print(f'verified: torchvision {args.arch} reproduces the backbone '
              f'features (max abs diff {diff:.2e})')
    torch.save(state_dict, args.output)
    print(f'wrote {args.output}: {len(state_dict)} tensors for '
          f'torchvision.models.{args.arch} (load with strict=True after '
          f'removing fc)')


if __name__ == '__main__':
    main()
