# The digits table's BYOL-asym row: MSF with k = 1 (the only neighbour is
# the target itself, i.e. asymmetric BYOL on MSF's bank, schedule and w/s
# views) and nothing else changed from the k = 5 digits config.
_base_ = './msf_resnet18-w16_1xb128-coslr-30e_digits.py'

model = dict(head=dict(topk=1))
