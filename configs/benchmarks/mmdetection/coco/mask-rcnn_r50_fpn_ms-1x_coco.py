# Mask R-CNN R50-FPN, 1x schedule, COCO: the standard self-supervised
# transfer protocol (SyncBN everywhere, all stages fine-tuned, multi-scale
# training). The backbone comes from a full MSF checkpoint (its `backbone.`
# part; an extracted backbone works too), set by
# tools/benchmarks/mmdetection/dist_train_fpn.sh, loaded safely and strictly.
_base_ = 'mmdet::mask_rcnn/mask-rcnn_r50_fpn_1x_coco.py'

custom_imports = dict(imports=['mmmsf_det'], allow_failed_imports=False)

norm_cfg = dict(type='SyncBN', requires_grad=True)
model = dict(
    backbone=dict(
        frozen_stages=-1,
        norm_cfg=norm_cfg,
        norm_eval=False,
        # no silent ImageNet-supervised fallback: the launcher sets this
        init_cfg=dict(type='StrictPretrained',
                      checkpoint='PRETRAIN_NOT_SET',
                      prefix='backbone.')),
    neck=dict(norm_cfg=norm_cfg),
    roi_head=dict(bbox_head=dict(type='Shared4Conv1FCBBoxHead',
                                 norm_cfg=norm_cfg),
                  mask_head=dict(norm_cfg=norm_cfg)))

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    dict(type='RandomChoiceResize',
         scales=[(1333, 640), (1333, 672), (1333, 704), (1333, 736),
                 (1333, 768), (1333, 800)],
         keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs'),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
