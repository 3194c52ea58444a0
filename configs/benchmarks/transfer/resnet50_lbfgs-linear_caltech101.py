# Caltech-101 with mmpretrain's meta/train.txt (30 images per class) and
# meta/test.txt; val = 20% of train.
_base_ = './_base_/resnet50_lbfgs-linear.py'

transfer = dict(key='caltech101',
                dataset=dict(type='Caltech101', data_root='data/caltech-101'),
                metric='mean_per_class')
