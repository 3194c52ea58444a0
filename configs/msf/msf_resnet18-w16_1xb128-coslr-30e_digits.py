# CPU demo: MSF w/s on the embedded digits with a slim CIFAR-style ResNet-18
# (16 base channels), k=5, a 4,096-entry bank filled before step 1; batch
# 128, SGD with a cosine schedule over 30 epochs (930 iterations); online
# k-NN monitor on the held-out digits every 5 epochs. Results and the
# commands that reproduce them: docs/evaluation.md.
_base_ = [
    '../_base_/models/msf_resnet50.py',
    '../_base_/datasets/digits_bs128_msf.py',
    '../_base_/msf_runtime.py',
]

# the MLPs of the paper's model, scaled down: 128->512->64 and 64->512->64
model = dict(
    # EMA weight of the online model (1 - m). The paper's 0.01 is tuned for
    # ~100k+ iterations; with under a thousand, 0.04 lets the target follow.
    momentum=0.04,
    data_preprocessor=dict(mean=[33.3, 33.3, 33.3],
                           std=[78.6, 78.6, 78.6],
                           to_rgb=False),
    backbone=dict(type='ResNet_CIFAR',
                  depth=18,
                  stem_channels=16,
                  base_channels=16),
    neck=dict(in_channels=128, hid_channels=512, out_channels=64),
    head=dict(
        predictor=dict(in_channels=64, hid_channels=512, out_channels=64)),
    memory=dict(size=4096, dim=64))

max_epochs = 30
optim_wrapper = dict(type='OptimWrapper',
                     optimizer=dict(type='SGD',
                                    lr=0.1,
                                    momentum=0.9,
                                    weight_decay=1e-4))
param_scheduler = [
    dict(type='CosineAnnealingLR',
         T_max=max_epochs,
         by_epoch=True,
         begin=0,
         end=max_epochs)
]
# exact mid-epoch resume (skips consumed batches, restores RNG states)
train_cfg = dict(type='ResumableEpochBasedTrainLoop', max_epochs=max_epochs)
auto_scale_lr = dict(base_batch_size=128)

custom_hooks = [
    dict(
        type='KNNMonitorHook',
        reference_dataloader=_base_.knn_reference_dataloader,
        query_dataloader=_base_.knn_query_dataloader,
        # every 5 epochs (and at the end): each pass costs a few seconds
        interval=5),
]
default_hooks = dict(
    # the bank filled with real embeddings before step 1
    memory_bank=dict(interval=10, warm_start=True),
    logger=dict(type='LoggerHook', interval=10),
    checkpoint=dict(type='CheckpointHook', interval=5, max_keep_ckpts=2))
log_processor = dict(window_size=10)
env_cfg = dict(dist_cfg=dict(backend='gloo'))
randomness = dict(seed=0)
