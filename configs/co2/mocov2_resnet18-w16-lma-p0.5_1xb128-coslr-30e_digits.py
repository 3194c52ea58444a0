# MoCo v2 on mmmsf's bank (CO2 with alpha = 0) on the embedded digits with
# LMA (docs/lma.md): in each of the two views, independently, with
# probability 0.5 a digit drawn by the LMA generator around the input
# replaces it before the view's crops and jitter, as the paper adds LMA to
# MoCo v2 (ours: the per-view coin and z). Everything else is
# ./mocov2_resnet18-w16_1xb128-coslr-30e_digits.py (the results tables add
# its short queue, `model.memory.size=1024`: ../results/digits_lma.py).
# Train the generator first (its checkpoint: `lma_generator` in
# ../_base_/datasets/digits_lma.py):
#   python tools/lma/train_generator.py configs/lma/icgan_digits_cpu.py
_base_ = [
    './mocov2_resnet18-w16_1xb128-coslr-30e_digits.py',
    '../_base_/datasets/digits_lma.py',
]

# ours: each view draws its own coin and z
train_pipeline = [
    dict(type='MultiView',
         num_views=2,
         transforms=[[_base_.lma_view] + _base_.strong_view]),
    dict(type='PackInputs'),
]
# each sample's coin flips, z and crops are a function of (seed, epoch,
# index), so a run with generated views is reproducible and resumable
train_dataloader = dict(sampler=dict(type='PerSampleSeededSampler',
                                     shuffle=True),
                        dataset=dict(type='PerSampleSeededDataset',
                                     dataset=dict(type=_base_.dataset_type),
                                     pipeline=train_pipeline))
