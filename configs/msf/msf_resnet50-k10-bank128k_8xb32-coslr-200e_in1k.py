# k = 10 with a 128,000-entry bank: the official "fits 11 GB GPUs" setting.
_base_ = './msf_resnet50_8xb32-coslr-200e_in1k.py'

model = dict(head=dict(topk=10), memory=dict(size=128000))
