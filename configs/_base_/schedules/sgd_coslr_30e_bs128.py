# ./sgd_coslr_200e.py for the CPU recipes: lr 0.1 for a batch of 128,
# cosine over 30 epochs
_base_ = './sgd_coslr_200e.py'

max_epochs = 30
optim_wrapper = dict(optimizer=dict(lr=0.1))
param_scheduler = [
    dict(_base_.param_scheduler[0], T_max=max_epochs, end=max_epochs)
]
train_cfg = dict(max_epochs=max_epochs)
auto_scale_lr = dict(base_batch_size=128)
