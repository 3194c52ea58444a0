# Faster R-CNN R50-C4 on VOC07+12 trainval, 24k iterations, tested on
# VOC07 test: the MoCo / MSF transfer protocol. Reports AP50, AP (mean over
# IoU 0.5:0.05:0.95, `pascal_voc/mAP`) and AP75, VOC07 11-point AP at each
# threshold, as detectron2's VOC evaluator that the papers use. Pytorch-style
# ResNet with RGB normalisation (not the caffe model of mmdet's base), SyncBN
# fine-tuned everywhere and an extra norm after res5 in the RoI head, as the
# detectron2 configs of the self-supervised literature.
_base_ = 'mmdet::pascal_voc/faster-rcnn_r50-caffe-c4_ms-18k_voc0712.py'

custom_imports = dict(imports=['mmmsf_det'], allow_failed_imports=False)

norm_cfg = dict(type='SyncBN', requires_grad=True)
# the launcher points both at the MSF checkpoint (res2-4 go to the backbone,
# res5 to the RoI head), loaded safely and strictly (mmmsf_det)
pretrained = dict(type='StrictPretrained',
                  checkpoint='PRETRAIN_NOT_SET',
                  prefix='backbone.')
model = dict(
    data_preprocessor=dict(mean=[123.675, 116.28, 103.53],
                           std=[58.395, 57.12, 57.375],
                           bgr_to_rgb=True),
    backbone=dict(frozen_stages=-1,
                  norm_cfg=norm_cfg,
                  norm_eval=False,
                  style='pytorch',
                  init_cfg=dict(**pretrained,
                                ignore_unexpected=[r'^layer4\.'])),
    roi_head=dict(shared_head=dict(
        type='ResLayerExtraNorm',
        norm_cfg=norm_cfg,
        norm_eval=False,
        style='pytorch',
        init_cfg=dict(**pretrained,
                      ignore_missing=[r'^norm\.'],
                      ignore_unexpected=[r'^(conv1|bn1|layer[123])\.']))))

train_cfg = dict(max_iters=24000, val_interval=2000)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.001, by_epoch=False, begin=0,
         end=100),
    dict(type='MultiStepLR',
         begin=0,
         end=24000,
         by_epoch=False,
         milestones=[18000, 22000],
         gamma=0.1)
]
val_evaluator = dict(type='VOCMetric',
                     metric='mAP',
                     eval_mode='11points',
                     iou_thrs=[round(0.5 + 0.05 * i, 2) for i in range(10)])
test_evaluator = val_evaluator
default_hooks = dict(checkpoint=dict(by_epoch=False, interval=2000))
