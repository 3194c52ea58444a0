# Flowers-102: official train / val (1,020 each) / test (6,149).
_base_ = './_base_/resnet50_lbfgs-linear.py'

transfer = dict(key='flowers102',
                dataset=dict(type='Flowers102', data_root='data/flowers102'),
                metric='mean_per_class',
                val_split='val')
