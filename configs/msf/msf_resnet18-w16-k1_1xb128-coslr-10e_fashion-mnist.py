# MSF with k = 1 (asymmetric BYOL: the only neighbour is the sample's own
# target) on Fashion-MNIST; everything else as the k = 5 config.
_base_ = './msf_resnet18-w16_1xb128-coslr-10e_fashion-mnist.py'

model = dict(head=dict(topk=1))
