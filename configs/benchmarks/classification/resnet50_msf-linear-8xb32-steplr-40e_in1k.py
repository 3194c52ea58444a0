# The linear protocol of the MSF paper (https://arxiv.org/abs/2105.07269):
# pooled feature -> L2 normalisation -> standardisation with the training
# set's statistics -> linear layer; SGD lr 0.01, momentum 0.9, wd 1e-4,
# batch 8 x 32 = 256, 40 epochs, lr x0.1 at 15 and 30. Transforms as the
# standard protocol: RandomResizedCrop 224 + flip; resize 256, crop 224.
_base_ = './resnet50_linear-8xb32-steplr-100e_in1k.py'

model = dict(
    neck=dict(_delete_=True, type='L2NormStandardizeNeck', in_channels=2048))

optim_wrapper = dict(optimizer=dict(lr=0.01, weight_decay=1e-4))
param_scheduler = [
    dict(type='MultiStepLR', by_epoch=True, milestones=[15, 30], gamma=0.1)
]
train_cfg = dict(max_epochs=40)

# one pass over the training set (val transform) fills the neck's statistics
custom_hooks = [
    dict(type='StrictPretrainedHook'),
    dict(type='FeatureStatisticsHook'),
]
