# The real-neighbour control of
# ./msf_resnet18-w16-lma-p0.5_1xb128-coslr-30e_digits.py (docs/lma.md): with
# the same p = 0.5 the online view starts from a real training digit drawn
# uniformly from the input's k = 10 neighbourhood in the generator's PCA
# space (the distribution the generator was trained to fit) instead of a
# generated one. A gain of LMA counts only where it beats this control.
_base_ = './msf_resnet18-w16-lma-p0.5_1xb128-coslr-30e_digits.py'

train_pipeline = [
    dict(type='MeanShiftViews',
         weak=_base_.weak_view,
         strong=[_base_.lma_real_neighbour_view] + _base_.strong_view,
         view_mode='w/s'),
    dict(type='PackInputs'),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
