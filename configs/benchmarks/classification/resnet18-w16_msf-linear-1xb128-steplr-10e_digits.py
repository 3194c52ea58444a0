# CPU version of the MSF paper's linear protocol on the embedded digits:
# L2 normalisation and training-set standardisation before the linear
# layer; SGD momentum 0.9, wd 1e-4, lr x0.1 at 40% and 80% of 10 epochs
# (15 and 30 of 40 in the paper). lr 0.1 instead of the paper's 0.01: 310
# steps instead of 200k leave lr 0.01 far from convergence.
_base_ = './resnet18-w16_linear-1xb128-steplr-10e_digits.py'

model = dict(
    neck=dict(_delete_=True, type='L2NormStandardizeNeck', in_channels=128))

optim_wrapper = dict(optimizer=dict(lr=0.1, weight_decay=1e-4))
param_scheduler = [
    dict(type='MultiStepLR', by_epoch=True, milestones=[4, 8], gamma=0.1)
]

custom_hooks = [
    dict(type='StrictPretrainedHook'),
    dict(type='FeatureStatisticsHook'),
]
