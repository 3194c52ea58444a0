# CPU demo: MSF w/s on the embedded digits with a slim CIFAR-style ResNet-18
# (16 base channels), k=5, a 4,096-entry bank filled before step 1; batch
# 128, SGD with a cosine schedule over 30 epochs (930 iterations); online
# k-NN monitor on the held-out digits every 5 epochs. Results and the
# commands that reproduce them: docs/evaluation.md.
_base_ = [
    '../_base_/models/msf_resnet18-w16.py',
    '../_base_/datasets/digits_bs128_msf_knn.py',
    '../_base_/schedules/sgd_coslr_30e_bs128.py',
    '../_base_/msf_cpu_runtime.py',
]
