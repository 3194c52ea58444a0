# MoCo v2 on the same bank, data and schedule as the CO2 digits demo: CO2
# with alpha = 0 (the consistency term is only logged, as `consistency`).
_base_ = './co2_resnet18-w16_1xb128-coslr-30e_digits.py'

model = dict(head=dict(alpha=0.0))
