# MSF w/s, k = 5, on the embedded digits with LMA (docs/lma.md): with
# probability 0.5 the online (strong) view starts from a digit drawn by the
# LMA generator around the input instead of the input itself; the target
# (weak) view is the digits config's. Everything else is
# ./msf_resnet18-w16_1xb128-coslr-30e_digits.py. Train the generator first
# (its checkpoint: `lma_generator` in ../_base_/datasets/digits_lma.py):
#   python tools/lma/train_generator.py configs/lma/icgan_digits_cpu.py
_base_ = [
    './msf_resnet18-w16_1xb128-coslr-30e_digits.py',
    '../_base_/datasets/digits_lma.py',
]

train_pipeline = [
    dict(
        type='MeanShiftViews',
        weak=_base_.weak_view,
        # ours: LMA on the online branch only (the paper adds LMA to MoCo v2
        # and SimSiam, not to MSF)
        strong=[_base_.lma_view] + _base_.strong_view,
        view_mode='w/s'),
    dict(type='PackInputs'),
]
# each sample's coin flip, z and crops are a function of (seed, epoch,
# index), so a run with generated views is reproducible and resumable
train_dataloader = dict(sampler=dict(type='PerSampleSeededSampler',
                                     shuffle=True),
                        dataset=dict(type='PerSampleSeededDataset',
                                     dataset=dict(type=_base_.dataset_type),
                                     pipeline=train_pipeline))
