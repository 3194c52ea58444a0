# The standard linear protocol of the digits
# (./resnet18-w16_linear-1xb128-steplr-10e_digits.py) on Fashion-MNIST: the
# 8,000-image training subset of pretraining, scored on the test split.
_base_ = './resnet18-w16_linear-1xb128-steplr-10e_digits.py'

fashion_train = dict(type='StratifiedFashionMNIST',
                     split='train',
                     num_samples=8000)
# the final score: the official test split, untouched by any choice
fashion_test = dict(type='StratifiedFashionMNIST', split='test')

model = dict(
    data_preprocessor=dict(mean=[72.9, 72.9, 72.9], std=[90.0, 90.0, 90.0]))
train_dataloader = dict(dataset=fashion_train)
val_dataloader = dict(
    dataset=dict(_base_.val_dataloader.dataset, **fashion_test))
test_dataloader = val_dataloader
