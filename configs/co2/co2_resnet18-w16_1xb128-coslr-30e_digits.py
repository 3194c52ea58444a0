# CPU demo of CO2 (MoCo v2 + consistency) on the embedded digits, the twin of
# ../msf/msf_resnet18-w16_1xb128-coslr-30e_digits.py: same slim CIFAR-style
# ResNet-18 (16 base channels), projector 128->512->64, 4,096-entry bank,
# data, schedule (SGD lr 0.1, cosine, 30 epochs = 930 iterations), hooks and
# k-NN monitor, so that the two methods are compared on equal terms.
_base_ = [
    '../_base_/models/co2_resnet18-w16.py',
    '../_base_/datasets/digits_bs128_msf_knn.py',
    '../_base_/schedules/sgd_coslr_30e_bs128.py',
    '../_base_/msf_cpu_runtime.py',
]

# MoCo v2 takes two views from one (strong) augmentation: the digits-safe
# strong view of the MSF demo (mild crops, small rotations, no flips)
train_dataloader = dict(dataset=dict(pipeline=[
    dict(type='MultiView', num_views=2, transforms=[_base_.strong_view]),
    dict(type='PackInputs'),
]))
