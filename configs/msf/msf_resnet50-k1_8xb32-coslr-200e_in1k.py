# k = 1: the only neighbour is the target itself, i.e. asymmetric BYOL with
# MSF's bank, views and schedule (the paper's BYOL baseline).
_base_ = './msf_resnet50_8xb32-coslr-200e_in1k.py'

model = dict(head=dict(topk=1))
