# FGVC Aircraft (variants): official train / val / test (3,334 each).
_base_ = './_base_/resnet50_lbfgs-linear.py'

transfer = dict(key='fgvc_aircraft',
                dataset=dict(type='FGVCAircraft',
                             data_root='data/fgvc-aircraft-2013b'),
                metric='mean_per_class',
                val_split='val')
