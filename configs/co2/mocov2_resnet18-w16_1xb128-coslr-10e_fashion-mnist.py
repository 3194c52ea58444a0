# MoCo v2 on mmmsf's bank on Fashion-MNIST: CO2 with alpha = 0 (the
# consistency term is only logged, as `consistency`).
_base_ = './co2_resnet18-w16_1xb128-coslr-10e_fashion-mnist.py'

model = dict(head=dict(alpha=0.0))
