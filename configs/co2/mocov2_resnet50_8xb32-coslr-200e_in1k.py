# MoCo v2 on this project's memory bank: CO2 with alpha = 0 (the consistency
# term is still computed and logged as `consistency`, never optimised).
# The baseline of the paper's comparison, same recipe otherwise.
_base_ = './co2_resnet50_8xb32-coslr-200e_in1k.py'

model = dict(head=dict(alpha=0.0))
