# DTD: the official train / val / test partition (1,880 each) of
# imdb/imdb.mat, which mmpretrain's DTD reads; checked against split 1's
# labels/{train,val,test}1.txt where those files are present.
_base_ = './_base_/resnet50_lbfgs-linear.py'

transfer = dict(key='dtd',
                dataset=dict(type='DTD', data_root='data/dtd'),
                metric='top1',
                val_split='val',
                split_lists=dict(train='labels/train1.txt',
                                 val='labels/val1.txt',
                                 test='labels/test1.txt'))
