# CPU version of the standard linear protocol on the embedded digits: the
# frozen slim ResNet_CIFAR-18 of the MSF CPU demo, SGD lr 30 without weight
# decay, lr x0.1 at 60% and 80% of 10 epochs.
_base_ = [
    '../../_base_/datasets/digits_bs128_msf.py',
    'mmpretrain::_base_/default_runtime.py',
    './_base_/strict_pretrained_runtime.py',
]

model = dict(
    type='ImageClassifier',
    data_preprocessor=dict(type='ClsDataPreprocessor',
                           num_classes=10,
                           mean=[33.3, 33.3, 33.3],
                           std=[78.6, 78.6, 78.6],
                           to_rgb=False),
    backbone=dict(
        type='ResNet_CIFAR',
        depth=18,
        stem_channels=16,
        base_channels=16,
        norm_cfg=dict(type='BN'),
        # as in pretraining, so that "random" is the same baseline
        zero_init_residual=False,
        frozen_stages=4,
        norm_eval=True,
        init_cfg=dict(type='Pretrained', checkpoint='', prefix='backbone.')),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(type='LinearClsHead',
              num_classes=10,
              in_channels=128,
              loss=dict(type='CrossEntropyLoss'),
              topk=(1, 5)))

# no flip: digits are not mirror-symmetric
train_pipeline = [
    dict(type='RandomResizedCrop', scale=28, crop_ratio_range=(0.5, 1.0)),
    dict(type='PackInputs'),
]
train_dataloader = dict(num_workers=0,
                        persistent_workers=False,
                        dataset=dict(pipeline=train_pipeline))
val_dataloader = _base_.knn_query_dataloader
val_evaluator = dict(type='Accuracy', topk=(1, 5))
test_dataloader = val_dataloader
test_evaluator = val_evaluator

max_epochs = 10
optim_wrapper = dict(type='OptimWrapper',
                     optimizer=dict(type='SGD',
                                    lr=30.,
                                    momentum=0.9,
                                    weight_decay=0.))
param_scheduler = [
    dict(type='MultiStepLR', by_epoch=True, milestones=[6, 8], gamma=0.1)
]
train_cfg = dict(by_epoch=True, max_epochs=max_epochs, val_interval=5)
val_cfg = dict()
test_cfg = dict()

default_hooks = dict(logger=dict(type='LoggerHook', interval=10),
                     checkpoint=dict(type='CheckpointHook',
                                     interval=5,
                                     max_keep_ckpts=1))
log_processor = dict(window_size=10)
randomness = dict(seed=0)
# the lr is for a total batch of 128; another total batch (processes x
# batch size) scales it linearly, and the log says so
auto_scale_lr = dict(base_batch_size=128, enable=True)
