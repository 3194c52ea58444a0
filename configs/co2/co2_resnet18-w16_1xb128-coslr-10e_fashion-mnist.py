# CO2 (MoCo v2 + consistency) on Fashion-MNIST: the model and views of the
# digits CO2 config (./co2_resnet18-w16_1xb128-coslr-30e_digits.py) with the
# data, schedule and k-NN monitor of the MSF Fashion-MNIST config
# (../msf/msf_resnet18-w16_1xb128-coslr-10e_fashion-mnist.py).
_base_ = './co2_resnet18-w16_1xb128-coslr-30e_digits.py'

num_train = 8000
fashion_train = dict(type='StratifiedFashionMNIST',
                     split='train',
                     num_samples=num_train)
fashion_val = dict(type='StratifiedFashionMNIST', split='val')

model = dict(
    data_preprocessor=dict(mean=[72.9, 72.9, 72.9], std=[90.0, 90.0, 90.0]),
    # a contrastive queue well below the training set (1,024 of
    # 8,000): a queue longer than an epoch would hold each query's
    # own key from the previous epoch among its negatives
    memory=dict(size=1024))
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
