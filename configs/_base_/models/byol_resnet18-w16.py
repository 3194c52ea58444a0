# mmpretrain's BYOL model (byol_resnet50_16xb256-coslr-200e_in1k.py) on the
# backbone of ./msf_resnet18-w16.py, its MLPs scaled down alike: projector
# 128->512->64, predictor 64->512->64 (digits' pixel statistics).
model = dict(
    type='BYOL',
    # EMA weight of the online model at step 0, cosine-annealed to 0 (BYOL's
    # tau schedule); 0.04 as for MSF, for under 1k iterations.
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
