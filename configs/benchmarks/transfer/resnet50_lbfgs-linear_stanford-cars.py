# Stanford Cars: 8,144 train / 8,041 test; val = 20% of train.
_base_ = './_base_/resnet50_lbfgs-linear.py'

transfer = dict(key='stanford_cars',
                dataset=dict(type='StanfordCars',
                             data_root='data/Stanford_Cars'),
                metric='top1')
