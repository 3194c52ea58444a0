# SyncBN instead of ShuffleBN: BN statistics over the global batch.
_base_ = './msf_resnet50_8xb32-coslr-200e_in1k.py'

model = dict(shuffle_bn=False,
             backbone=dict(norm_cfg=dict(type='SyncBN')),
             neck=dict(norm_cfg=dict(type='SyncBN')),
             head=dict(predictor=dict(norm_cfg=dict(type='SyncBN'))))
