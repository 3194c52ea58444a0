# Fashion-MNIST (real 28x28 grayscale product photos, 10 classes) from the
# gzipped IDX files of Debian's dataset-fashion-mnist package
# (`apt-get install -y dataset-fashion-mnist`; `data_root` points elsewhere).
# Images come as arrays (gray replicated to RGB) like the embedded digits',
# so the loaders and views are the digits' own; only the dataset differs.
# Pixel mean 72.9, std 90.0 over the official training images (for a
# model's data_preprocessor).
_base_ = ['./digits_bs128_msf.py']

dataset_type = 'StratifiedFashionMNIST'
# a stratified 8,000-image subset of the training split (the official
# training images minus the validation split) keeps an epoch short on CPU
num_train = 8000

train_dataloader = dict(
    dataset=dict(type=dataset_type, split='train', num_samples=num_train))

# the online k-NN monitor: the training subset as reference, the validation
# split (5,000 images carved from the official training set, stratified) as
# queries; the official test split stays untouched until the final rows
knn_reference_dataloader = dict(
    dataset=dict(type=dataset_type, split='train', num_samples=num_train))
knn_query_dataloader = dict(dataset=dict(type=dataset_type, split='val'))
