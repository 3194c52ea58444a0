# CPU demo of CO2 (MoCo v2 + consistency) on the embedded digits, the twin of
# ../msf/msf_resnet18-w16_1xb128-coslr-30e_digits.py: same slim CIFAR-style
# ResNet-18 (16 base channels), projector 128->512->64, 4,096-entry bank,
# data, schedule (SGD lr 0.1, cosine, 30 epochs = 930 iterations), hooks and
# k-NN monitor, so that the two methods are compared on equal terms.
_base_ = '../msf/msf_resnet18-w16_1xb128-coslr-30e_digits.py'

model = dict(
    _delete_=True,
    type='CO2',
    # EMA weight of the online model (1 - m). MoCo's 0.001 (m = 0.999) is
    # tuned for ~1M iterations; with under a thousand the key encoder would
    # barely move, so m = 0.99 (MoCo's ablation shows it also trains).
    momentum=0.01,
    shuffle_bn=True,
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
    neck=dict(type='MoCoV2Neck',
              in_channels=128,
              hid_channels=512,
              out_channels=64,
              with_avg_pool=True),
    # InfoNCE at MoCo v2's T = 0.2; alpha and tau_con as in the ImageNet
    # config (../co2/co2_resnet50_8xb32-coslr-200e_in1k.py)
    head=dict(type='CO2Head',
              loss=dict(type='CrossEntropyLoss'),
              temperature=0.2,
              alpha=10.0,
              consistency_temperature=0.04),
    memory=dict(type='MemoryBank', size=4096, dim=64))

# MoCo v2 takes two views from one (strong) augmentation: the digits-safe
# strong view of the MSF demo (mild crops, small rotations, no flips)
train_dataloader = dict(dataset=dict(pipeline=[
    dict(type='MultiView', num_views=2, transforms=[_base_.strong_view]),
    dict(type='PackInputs'),
]))
