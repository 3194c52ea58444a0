# MSF w/s (k=5) on Fashion-MNIST: the model, views, bank and hooks of the
# digits CPU demo (./msf_resnet18-w16_1xb128-coslr-30e_digits.py) on a
# stratified 8,000-image training subset, 10 epochs (620 iterations); the
# online k-NN monitor queries the validation split, on which the results
# table (configs/results/fashion_mnist.py) chooses its settings.
_base_ = [
    '../_base_/models/msf_resnet18-w16.py',
    '../_base_/datasets/fashion_mnist_bs128_msf_knn.py',
    '../_base_/schedules/sgd_coslr_10e_bs128.py',
    '../_base_/msf_cpu_runtime.py',
]

# Fashion-MNIST's pixel statistics (the model base has the digits')
model = dict(
    data_preprocessor=dict(mean=[72.9, 72.9, 72.9], std=[90.0, 90.0, 90.0]))
