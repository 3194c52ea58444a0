# MSF w/s, k = 5, with LMA on the online branch at p = 0.25 (ours: the
# issue's second value of p, see docs/lma.md); otherwise
# ./msf_resnet18-w16-lma-p0.5_1xb128-coslr-30e_digits.py.
_base_ = './msf_resnet18-w16-lma-p0.5_1xb128-coslr-30e_digits.py'

train_pipeline = [
    dict(type='MeanShiftViews',
         weak=_base_.weak_view,
         strong=[dict(_base_.lma_view, p=0.25)] + _base_.strong_view,
         view_mode='w/s'),
    dict(type='PackInputs'),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
