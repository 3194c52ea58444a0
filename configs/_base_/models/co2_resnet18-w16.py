# CO2 with the backbone, projector sizes (128->512->64), 4,096-entry bank
# and digits' pixel statistics of ./msf_resnet18-w16.py, so that the two
# methods are compared on equal terms.
_base_ = './co2_resnet50.py'

model = dict(
    # EMA weight of the online model (1 - m). MoCo's 0.001 (m = 0.999) is
    # tuned for ~1M iterations; with under a thousand the key encoder would
    # barely move, so m = 0.99 (MoCo's ablation shows it also trains).
    momentum=0.01,
    data_preprocessor=dict(mean=[33.3, 33.3, 33.3],
                           std=[78.6, 78.6, 78.6],
                           to_rgb=False),
    backbone=dict(type='ResNet_CIFAR',
                  depth=18,
                  stem_channels=16,
                  base_channels=16),
    neck=dict(in_channels=128, hid_channels=512, out_channels=64),
    # alpha (weight of the consistency term) 10, tau_con 0.04 as in the
    # ImageNet config (configs/co2/co2_resnet50_8xb32-coslr-200e_in1k.py)
    head=dict(alpha=10.0),
    memory=dict(size=4096, dim=64))
