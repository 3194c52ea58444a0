# Fashion-MNIST (real 28x28 grayscale product photos, 10 classes) from the
# gzipped IDX files of Debian's dataset-fashion-mnist package
# (`apt-get install -y dataset-fashion-mnist`; `data_root` points elsewhere).
# Images come as arrays (gray replicated to RGB) like the embedded digits',
# so the loaders, views and k-NN monitor are those of
# ./digits_bs128_msf_knn.py; only the datasets differ. Pixel mean 72.9, std
# 90.0 over the official training images (for a model's data_preprocessor).
_base_ = './digits_bs128_msf_knn.py'

# a stratified 8,000-image subset of the training split (the official
# training images minus the validation split) keeps an epoch short on CPU
num_train = 8000
dataset_type = 'StratifiedFashionMNIST'
fashion_train = dict(type=dataset_type, split='train', num_samples=num_train)
# the k-NN monitor's queries: the validation split (5,000 images carved
# from the official training set, stratified); the official test split
# stays untouched until the final rows
fashion_val = dict(type=dataset_type, split='val')

train_dataloader = dict(dataset=fashion_train)
knn_reference_dataloader = dict(_base_.knn_reference_dataloader,
                                dataset=dict(
                                    _base_.knn_reference_dataloader.dataset,
                                    **fashion_train))
knn_query_dataloader = dict(_base_.knn_query_dataloader,
                            dataset=dict(_base_.knn_query_dataloader.dataset,
                                         **fashion_val))
# the hook holds copies of the loaders, taken when the base was read
custom_hooks = [
    dict(_base_.custom_hooks[0],
         reference_dataloader=knn_reference_dataloader,
         query_dataloader=knn_query_dataloader)
]
