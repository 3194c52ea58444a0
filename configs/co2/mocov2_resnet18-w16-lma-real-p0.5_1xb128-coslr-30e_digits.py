# The real-neighbour control of
# ./mocov2_resnet18-w16-lma-p0.5_1xb128-coslr-30e_digits.py (docs/lma.md):
# with the same p = 0.5 per view, a real training digit drawn uniformly from
# the input's k = 10 neighbourhood in the generator's PCA space replaces it
# instead of a generated one.
_base_ = './mocov2_resnet18-w16-lma-p0.5_1xb128-coslr-30e_digits.py'

train_pipeline = [
    dict(type='MultiView',
         num_views=2,
         transforms=[[_base_.lma_real_neighbour_view] + _base_.strong_view]),
    dict(type='PackInputs'),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
