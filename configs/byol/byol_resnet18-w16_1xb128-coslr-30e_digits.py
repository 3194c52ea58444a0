# mmpretrain's BYOL (Grill et al., 2020) on the embedded digits: the
# baseline of the digits results table (docs/evaluation.md), trained with
# the backbone, MLP sizes, optimiser, schedule, k-NN monitor and seed of
# the MSF digits config (configs/msf/msf_resnet18-w16_1xb128-coslr-30e_
# digits.py), so that only the method differs.
_base_ = [
    '../_base_/datasets/digits_bs128_msf.py',
    '../_base_/msf_runtime.py',
]

# mmpretrain's BYOL model (byol_resnet50_16xb256-coslr-200e_in1k.py) scaled
# down like the MSF digits model: projector 128->512->64, predictor
# 64->512->64.
model = dict(
    type='BYOL',
    # EMA weight of the online model at step 0, cosine-annealed to 0 (BYOL's
    # tau schedule); 0.04 as the MSF digits config, for under 1k iterations.
    base_momentum=0.04,
    data_preprocessor=dict(type='SelfSupDataPreprocessor',
                           mean=[33.3, 33.3, 33.3],
                           std=[78.6, 78.6, 78.6],
                           to_rgb=False),
    backbone=dict(type='ResNet_CIFAR',
                  depth=18,
                  stem_channels=16,
                  base_channels=16,
                  norm_cfg=dict(type='BN'),
                  zero_init_residual=False),
    neck=dict(type='NonLinearNeck',
              in_channels=128,
              hid_channels=512,
              out_channels=64,
              num_layers=2,
              with_bias=True,
              with_last_bn=False,
              with_avg_pool=True),
    head=dict(type='LatentPredictHead',
              predictor=dict(type='NonLinearNeck',
                             in_channels=64,
                             hid_channels=512,
                             out_channels=64,
                             num_layers=2,
                             with_bias=True,
                             with_last_bn=False,
                             with_avg_pool=False),
              loss=dict(type='CosineSimilarityLoss')))

# BYOL's loss is symmetric over two views drawn from the same (strong)
# augmentation family: the digit-friendly strong view of the data base for
# both, instead of MSF's weak target / strong online pair.
train_dataloader = dict(dataset=dict(pipeline=[
    dict(type='MeanShiftViews',
         weak=_base_.weak_view,
         strong=_base_.strong_view,
         view_mode='s/s'),
    dict(type='PackInputs'),
]))

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
train_cfg = dict(type='ResumableEpochBasedTrainLoop', max_epochs=max_epochs)
auto_scale_lr = dict(base_batch_size=128)

custom_hooks = [
    dict(type='KNNMonitorHook',
         reference_dataloader=_base_.knn_reference_dataloader,
         query_dataloader=_base_.knn_query_dataloader,
         interval=5),
]
default_hooks = dict(
    # BYOL has no memory bank: the runtime's other hooks (input check, RNG
    # states, NaN guard, SIGTERM saving) stay
    memory_bank=None,
    logger=dict(type='LoggerHook', interval=10),
    checkpoint=dict(type='CheckpointHook', interval=5, max_keep_ckpts=2))
log_processor = dict(window_size=10)
env_cfg = dict(dist_cfg=dict(backend='gloo'))
randomness = dict(seed=0)
