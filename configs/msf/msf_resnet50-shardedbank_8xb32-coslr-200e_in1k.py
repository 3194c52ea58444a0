# The paper recipe with the 1,024,000-entry bank split over the 8 GPUs
# (128,000 entries each) instead of replicated on every GPU.
_base_ = './msf_resnet50_8xb32-coslr-200e_in1k.py'

model = dict(memory=dict(type='ShardedMemoryBank'))
