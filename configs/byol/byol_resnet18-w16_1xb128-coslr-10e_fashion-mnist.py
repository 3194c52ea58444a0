# mmpretrain's BYOL on Fashion-MNIST: the model and views of the digits BYOL
# baseline (./byol_resnet18-w16_1xb128-coslr-30e_digits.py) with the data,
# schedule and k-NN monitor of the MSF Fashion-MNIST config
# (../msf/msf_resnet18-w16_1xb128-coslr-10e_fashion-mnist.py).
_base_ = [
    '../_base_/models/byol_resnet18-w16.py',
    '../_base_/datasets/fashion_mnist_bs128_msf_knn.py',
    '../_base_/schedules/sgd_coslr_10e_bs128.py',
    '../_base_/msf_cpu_runtime.py',
]

model = dict(
    data_preprocessor=dict(mean=[72.9, 72.9, 72.9], std=[90.0, 90.0, 90.0]))
# the two strong views and no bank, as the digits baseline
train_dataloader = dict(dataset=dict(pipeline=[
    dict(_base_.train_pipeline[0], view_mode='s/s'),
    dict(type='PackInputs'),
]))
default_hooks = dict(memory_bank=None)
