# Food-101: 75,750 train / 25,250 test; val = 20% of train.
_base_ = './_base_/resnet50_lbfgs-linear.py'

transfer = dict(key='food101',
                dataset=dict(type='Food101', data_root='data/food-101'),
                metric='top1')
