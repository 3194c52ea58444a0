# CO2 on MoCo v2 with ResNet-50 (Wei et al., ICLR 2021): mmpretrain's MoCo v2
# model (MoCoV2Neck 2048->2048->128, InfoNCE at T = 0.2, key encoder
# m = 0.999) with its queue in this project's MemoryBank (65,536 x 128).
model = dict(
    type='CO2',
    # EMA weight of the online model (mmengine convention): MoCo m = 0.999
    momentum=0.001,
    shuffle_bn=True,
    data_preprocessor=dict(type='SelfSupDataPreprocessor',
                           mean=[123.675, 116.28, 103.53],
                           std=[58.395, 57.12, 57.375],
                           to_rgb=True),
    backbone=dict(type='ResNet',
                  depth=50,
                  norm_cfg=dict(type='BN'),
                  zero_init_residual=False),
    neck=dict(type='MoCoV2Neck',
              in_channels=2048,
              hid_channels=2048,
              out_channels=128,
              with_avg_pool=True),
    # alpha (weight of the consistency term) and tau_con: see the configs
    # under configs/co2/
    head=dict(type='CO2Head',
              loss=dict(type='CrossEntropyLoss'),
              temperature=0.2,
              alpha=1.0,
              consistency_temperature=0.04),
    memory=dict(type='MemoryBank', size=65536, dim=128))
