# MSF w/w (weak target, weak online) ablation of the paper.
_base_ = './msf_resnet50_8xb32-coslr-200e_in1k.py'

train_pipeline = _base_.train_pipeline
train_pipeline[1].view_mode = 'w/w'
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
