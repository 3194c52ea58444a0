# ./sgd_coslr_30e_bs128.py over 10 epochs
_base_ = './sgd_coslr_30e_bs128.py'

max_epochs = 10
param_scheduler = [
    dict(_base_.param_scheduler[0], T_max=max_epochs, end=max_epochs)
]
train_cfg = dict(max_epochs=max_epochs)
