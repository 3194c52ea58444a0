# Copyright (c) mmmsf contributors. All rights reserved.
"""Prove a transfer config takes an MSF checkpoint's backbone and trains.

Runs in the detection environment (``tools/setup_det_env.sh``) on one CPU
or GPU process: builds the detector of CONFIG initialised from PRETRAIN (a
full MSF checkpoint, or an extracted backbone, as the launchers set it),
checks after ``init_weights`` that every backbone tensor (and res5 of C4
heads) equals the checkpoint's, then trains a few iterations on a
generated COCO-format dataset with real mmdet and prints a JSON report::

    .venv-det/bin/python tools/benchmarks/mmdetection/transfer_smoke.py \\
        configs/benchmarks/mmdetection/coco/mask-rcnn_r50_fpn_ms-1x_coco.py \\
        work_dirs/msf/epoch_200.pth --work-dir /tmp/det_smoke
"""
import argparse
import json
import math
import os
import os.path as osp
import sys

import numpy as np
import torch

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.dirname(
    osp.abspath(__file__)))))
sys.path.insert(0, ROOT)


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config')
    parser.add_argument('pretrain',
                        help='MSF checkpoint (or an extracted backbone)')
    parser.add_argument('--work-dir', required=True)
    parser.add_argument('--iters', type=int, default=2)
    parser.add_argument('--size', type=int, default=128, help='image side')
    return parser.parse_args()


def make_coco(root: str, num_images: int = 4, size: int = 128) -> str:
    """Images with one bright rectangle each, boxes and polygon masks."""
    import cv2
    os.makedirs(osp.join(root, 'images'), exist_ok=True)
    rng = np.random.RandomState(0)
    images, annotations = [], []
    for i in range(num_images):
        img = rng.randint(0, 60, (size, size, 3), np.uint8)
        x, y = rng.randint(8, size // 2, 2)
        w, h = rng.randint(size // 4, size // 2, 2)
        img[y:y + h, x:x + w] = 220
        name = f'{i}.jpg'
        cv2.imwrite(osp.join(root, 'images', name), img)
        images.append(dict(id=i, file_name=name, width=size, height=size))
        poly = [x, y, x + w, y, x + w, y + h, x, y + h]
        annotations.append(
            dict(id=i,
                 image_id=i,
                 category_id=1,
                 bbox=[int(x), int(y), int(w), int(h)],
                 area=int(w * h),
                 iscrowd=0,
                 segmentation=[[int(v) for v in poly]]))
    ann = osp.join(root, 'train.json')
    with open(ann, 'w') as f:
        json.dump(
            dict(images=images,
                 annotations=annotations,
                 categories=[dict(id=1, name='box')]), f)
    return ann


def _to_bn(node):
    """SyncBN needs a process group: use BN for a single process."""
    if isinstance(node, dict):
        if node.get('type') == 'SyncBN':
            node['type'] = 'BN'
        for value in node.values():
            _to_bn(value)
    elif isinstance(node, list):
        for value in node:
            _to_bn(value)


def _set_num_classes(node, num_classes):
    if isinstance(node, dict):
        if 'num_classes' in node:
            node['num_classes'] = num_classes
        for value in node.values():
            _set_num_classes(value, num_classes)
    elif isinstance(node, list):
        for value in node:
            _set_num_classes(value, num_classes)


def main():
    args = parse_args()
    from mmengine.config import Config
    from mmengine.hooks import Hook
    from mmengine.registry import init_default_scope
    from mmengine.runner import Runner

    cfg = Config.fromfile(args.config)
    init_default_scope('mmdet')
    cfg.work_dir = args.work_dir
    model = cfg.model.to_dict()
    _to_bn(model)
    _set_num_classes(model, 1)
    model['backbone']['init_cfg']['checkpoint'] = args.pretrain
    shared = model.get('roi_head', {}).get('shared_head')
    if shared is not None:
        shared['init_cfg']['checkpoint'] = args.pretrain
    cfg.model = model
    with_mask = 'mask_head' in model.get('roi_head', {})
    ann = make_coco(osp.join(args.work_dir, 'data'), size=args.size)
    pipeline = [
        dict(type='LoadImageFromFile'),
        dict(type='LoadAnnotations', with_bbox=True, with_mask=with_mask),
        dict(type='Resize', scale=(args.size, args.size), keep_ratio=True),
        dict(type='PackDetInputs'),
    ]
    cfg.train_dataloader = dict(batch_size=2,
                                num_workers=0,
                                sampler=dict(type='InfiniteSampler',
                                             shuffle=True),
                                dataset=dict(type='CocoDataset',
                                             data_root=osp.join(
                                                 args.work_dir, 'data'),
                                             ann_file=ann,
                                             data_prefix=dict(img='images/'),
                                             metainfo=dict(classes=('box', )),
                                             pipeline=pipeline))
    cfg.train_cfg = dict(type='IterBasedTrainLoop', max_iters=args.iters)
    cfg.val_cfg = cfg.val_dataloader = cfg.val_evaluator = None
    cfg.test_cfg = cfg.test_dataloader = cfg.test_evaluator = None
    cfg.param_scheduler = []
    cfg.optim_wrapper = dict(type='OptimWrapper',
                             optimizer=dict(type='SGD',
                                            lr=0.002,
                                            momentum=0.9,
                                            weight_decay=1e-4))
    cfg.default_hooks.logger = dict(type='LoggerHook', interval=1)
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook', interval=0)
    cfg.log_processor = dict(by_epoch=False, window_size=1)
    cfg.launcher = 'none'

    # the backbone tensors as the config's StrictPretrained init reads them
    from mmmsf_det import StrictPretrainedInit
    expected = StrictPretrainedInit(
        args.pretrain,
        prefix=model['backbone']['init_cfg']['prefix'],
        map_location='cpu').state_dict()
    report = dict(config=args.config, pretrain=args.pretrain)

    class CheckArrival(Hook):

        def before_train(self, runner):
            det = runner.model
            got = dict(det.backbone.state_dict())
            head = getattr(getattr(det, 'roi_head', None), 'shared_head', None)
            if head is not None:
                got.update({
                    k: v
                    for k, v in head.state_dict().items()
                    if k.startswith('layer')
                })
            compared = [k for k in got if k in expected]
            differ = [
                k for k in compared
                if not torch.equal(got[k].cpu(), expected[k].to(got[k]))
            ]
            missing = [k for k in got if k not in expected]
            report.update(compared=len(compared),
                          differ=differ[:20],
                          not_in_checkpoint=missing[:20])
            if differ or missing or not compared:
                raise RuntimeError(
                    f'backbone did not arrive: {len(differ)} tensors differ '
                    f'({differ[:5]}), {len(missing)} not in the checkpoint '
                    f'({missing[:5]})')

    runner = Runner.from_cfg(cfg)
    runner.register_hook(CheckArrival(), priority='VERY_LOW')
    runner.train()
    losses = {
        k[len('train/'):]: float(v.current())
        for k, v in runner.message_hub.log_scalars.items()
        if k.startswith('train/') and 'loss' in k
    }
    report.update(iters=runner.iter, losses=losses)
    report['finite'] = bool(losses) and all(
        math.isfinite(v) for v in losses.values())
    print('TRANSFER_SMOKE ' + json.dumps(report))
    if not report['finite']:
        raise SystemExit('non-finite or missing losses')


if __name__ == '__main__':
    main()
