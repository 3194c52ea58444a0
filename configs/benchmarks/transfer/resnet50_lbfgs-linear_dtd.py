# DTD: the official train / val / test partition of imdb/imdb.mat (1,880
# each), the one mmpretrain's DTD reads (split 1).
_base_ = './_base_/resnet50_lbfgs-linear.py'

transfer = dict(key='dtd',
                dataset=dict(type='DTD', data_root='data/dtd'),
                metric='top1',
                val_split='val')
