# CO2 (MoCo v2 + consistency) on Fashion-MNIST: the model and views of the
# digits CO2 config (./co2_resnet18-w16_1xb128-coslr-30e_digits.py) with the
# data, schedule and k-NN monitor of the MSF Fashion-MNIST config
# (../msf/msf_resnet18-w16_1xb128-coslr-10e_fashion-mnist.py).
_base_ = [
    '../_base_/models/co2_resnet18-w16.py',
    '../_base_/datasets/fashion_mnist_bs128_msf_knn.py',
    '../_base_/schedules/sgd_coslr_10e_bs128.py',
    '../_base_/msf_cpu_runtime.py',
]

model = dict(
    data_preprocessor=dict(mean=[72.9, 72.9, 72.9], std=[90.0, 90.0, 90.0]),
    # a contrastive queue well below the training set (1,024 of
    # 8,000): a queue longer than an epoch would hold each query's
    # own key from the previous epoch among its negatives
    memory=dict(size=1024))
train_dataloader = dict(dataset=dict(pipeline=[
    dict(type='MultiView', num_views=2, transforms=[_base_.strong_view]),
    dict(type='PackInputs'),
]))
