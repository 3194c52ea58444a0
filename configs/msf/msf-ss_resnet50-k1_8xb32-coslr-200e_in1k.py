# The paper's BYOL-asym row: k = 1 (the only neighbour is the target
# itself, i.e. asymmetric BYOL) with the settings of the paper's plain "MSF"
# row: the same strong (MoCo v2) augmentation for target and online (s/s),
# ResNet-50, 200 epochs, batch 256, SGD lr 0.05, m = 0.99. The bank plays no
# part in the loss at k = 1. msf_resnet50-k1 is the same with w/s views.
_base_ = './msf-ss_resnet50_8xb32-coslr-200e_in1k.py'

model = dict(head=dict(topk=1))
