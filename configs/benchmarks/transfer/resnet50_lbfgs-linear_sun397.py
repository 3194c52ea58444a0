# SUN397, partition 01 (Training_01 / Testing_01, 19,850 each); val = 20%
# of train.
_base_ = './_base_/resnet50_lbfgs-linear.py'

transfer = dict(key='sun397',
                dataset=dict(type='SUN397', data_root='data/SUN397'),
                metric='top1')
