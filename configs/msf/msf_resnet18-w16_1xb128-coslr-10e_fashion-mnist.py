# MSF w/s (k=5) on Fashion-MNIST: the model, views, bank and hooks of the
# digits CPU demo (./msf_resnet18-w16_1xb128-coslr-30e_digits.py) on a
# stratified 8,000-image training subset (../_base_/datasets/
# fashion_mnist_bs128_msf.py), 10 epochs (620 iterations); the online k-NN
# monitor queries the validation split, on which the results table
# (configs/results/fashion_mnist.py) chooses its settings.
_base_ = './msf_resnet18-w16_1xb128-coslr-30e_digits.py'

num_train = 8000
fashion_train = dict(type='StratifiedFashionMNIST',
                     split='train',
                     num_samples=num_train)
fashion_val = dict(type='StratifiedFashionMNIST', split='val')

model = dict(
    data_preprocessor=dict(mean=[72.9, 72.9, 72.9], std=[90.0, 90.0, 90.0]))
train_dataloader = dict(dataset=fashion_train)
knn_reference_dataloader = dict(_base_.knn_reference_dataloader,
                                dataset=dict(
                                    _base_.knn_reference_dataloader.dataset,
                                    **fashion_train))
knn_query_dataloader = dict(_base_.knn_query_dataloader,
                            dataset=dict(_base_.knn_query_dataloader.dataset,
                                         **fashion_val))

max_epochs = 10
param_scheduler = [
    dict(type='CosineAnnealingLR',
         T_max=max_epochs,
         by_epoch=True,
         begin=0,
         end=max_epochs)
]
train_cfg = dict(type='ResumableEpochBasedTrainLoop', max_epochs=max_epochs)
custom_hooks = [
    dict(type='KNNMonitorHook',
         reference_dataloader=knn_reference_dataloader,
         query_dataloader=knn_query_dataloader,
         interval=5),
]
