# ImageNet with the two symmetric views of MoCo v2 (mmpretrain's
# imagenet_bs32_mocov2 pipeline), for CO2 and MoCo v2 on the memory bank.
_base_ = 'mmpretrain::_base_/datasets/imagenet_bs32_mocov2.py'

# mmpretrain's ColorJitter hue shift fails on numpy 2; the same jitter
# through mmmsf's numpy-2-safe transform
view_pipeline = [
    dict(type='RandomResizedCrop',
         scale=224,
         crop_ratio_range=(0.2, 1.),
         backend='pillow'),
    dict(type='RandomApply',
         transforms=[
             dict(type='HueSafeColorJitter',
                  brightness=0.4,
                  contrast=0.4,
                  saturation=0.4,
                  hue=0.1)
         ],
         prob=0.8),
    dict(type='RandomGrayscale',
         prob=0.2,
         keep_channels=True,
         channel_weights=(0.114, 0.587, 0.2989)),
    dict(type='GaussianBlur',
         magnitude_range=(0.1, 2.0),
         magnitude_std='inf',
         prob=0.5),
    dict(type='RandomFlip', prob=0.5),
]
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='MultiView', num_views=2, transforms=[view_pipeline]),
    dict(type='PackInputs'),
]
# each sample's augmentation seeded from (the run's seed, epoch, index):
# a run resumed mid-epoch with data-loading workers draws the crops of the
# uninterrupted run. The wrapper's other settings are the ImageNet set's,
# so `train_dataloader.dataset.pipeline` is where mmpretrain has it.
train_dataloader = dict(persistent_workers=True,
                        pin_memory=True,
                        sampler=dict(type='PerSampleSeededSampler'),
                        dataset=dict(type='PerSampleSeededDataset',
                                     dataset=dict(type=_base_.dataset_type),
                                     pipeline=train_pipeline))
