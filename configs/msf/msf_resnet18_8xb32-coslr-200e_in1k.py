# ResNet-18 for smaller GPUs: projector 512->4096->512, k = 10, 128k bank.
_base_ = './msf_resnet50_8xb32-coslr-200e_in1k.py'

model = dict(backbone=dict(depth=18),
             neck=dict(in_channels=512),
             head=dict(topk=10),
             memory=dict(size=128000))
