# k = 1: the only neighbour is the target itself, i.e. asymmetric BYOL with
# MSF's bank, schedule and w/s views. The paper's BYOL-asym row uses s/s
# views: msf-ss_resnet50-k1_8xb32-coslr-200e_in1k.py.
_base_ = './msf_resnet50_8xb32-coslr-200e_in1k.py'

model = dict(head=dict(topk=1))
