# CIFAR-100: 50,000 train / 10,000 test; val = 20% of train. The images are
# in memory (RGB), upsampled 32 -> 224 like every other dataset.
_base_ = './_base_/resnet50_lbfgs-linear.py'

model = dict(data_preprocessor=dict(to_rgb=False))
transfer = dict(key='cifar100',
                dataset=dict(type='CIFAR100',
                             data_root='data/cifar100',
                             download=False,
                             pipeline=_base_.test_pipeline[1:]),
                metric='top1')
