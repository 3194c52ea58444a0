# MSF with ResNet-50 (Koohpayegani et al., ICCV 2021). Projector
# 2048->4096->512 and predictor 512->4096->512, as the official MLPs
# (Linear-BN-ReLU-Linear, biases on).
model = dict(
    type='MSF',
    # EMA weight of the online model (mmengine convention): paper m = 0.99
    momentum=0.01,
    shuffle_bn=True,
    data_preprocessor=dict(
        type='SelfSupDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        to_rgb=True),
    backbone=dict(
        type='ResNet',
        depth=50,
        norm_cfg=dict(type='BN'),
        zero_init_residual=False),
    neck=dict(
        type='NonLinearNeck',
        in_channels=2048,
        hid_channels=4096,
        out_channels=512,
        num_layers=2,
        with_bias=True,
        with_last_bn=False,
        with_last_bias=True,
        with_avg_pool=True,
        norm_cfg=dict(type='BN1d')),
    head=dict(
        type='MeanShiftHead',
        topk=5,
        predictor=dict(
            type='NonLinearNeck',
            in_channels=512,
            hid_channels=4096,
            out_channels=512,
            num_layers=2,
            with_bias=True,
            with_last_bn=False,
            with_last_bias=True,
            with_avg_pool=False,
            norm_cfg=dict(type='BN1d'))),
    memory=dict(type='MemoryBank', size=1024000, dim=512))
