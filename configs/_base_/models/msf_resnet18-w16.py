# MSF with the slim CIFAR-style ResNet-18 of the CPU recipes (16 base
# channels, 128-d features): the MLPs of ./msf_resnet50.py scaled down to
# 128->512->64 and 64->512->64, a 4,096-entry bank. The preprocessor has
# the embedded digits' pixel statistics; a Fashion-MNIST config sets its own.
_base_ = './msf_resnet50.py'

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
