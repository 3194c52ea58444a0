# Oxford-IIIT Pets: 3,680 trainval / 3,669 test; val = 20% of trainval.
_base_ = './_base_/resnet50_lbfgs-linear.py'

transfer = dict(key='oxford_pets',
                dataset=dict(type='OxfordIIITPet',
                             data_root='data/Oxford-IIIT_Pets'),
                metric='mean_per_class',
                train_split='trainval')
