# ImageNet with the two views of MSF. Labels are kept only for the purity
# monitor; they never enter the loss.
dataset_type = 'ImageNet'
data_root = 'data/imagenet/'

# weak view (official MSF): random resized crop + flip
weak_view = [
    dict(type='RandomResizedCrop', scale=224, crop_ratio_range=(0.2, 1.0)),
    dict(type='RandomFlip', prob=0.5),
]
# strong view (official MSF / MoCo v2 augmentation)
strong_view = [
    dict(type='RandomResizedCrop', scale=224, crop_ratio_range=(0.2, 1.0)),
    dict(
        type='RandomApply',
        transforms=[
            # mmpretrain's ColorJitter with a numpy-2-safe hue shift
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
    # view_mode is '<target>/<online>'; 'w/s' is the paper's best
    dict(type='MeanShiftViews',
         weak=weak_view,
         strong=strong_view,
         view_mode='w/s'),
    dict(type='PackInputs'),
]

# each sample's augmentation seeded from (the run's seed, epoch, index):
# a run resumed mid-epoch with data-loading workers draws the crops of the
# uninterrupted run. The wrapper's other settings are the ImageNet set's,
# so `train_dataloader.dataset.pipeline` is where mmpretrain has it.
train_dataloader = dict(batch_size=32,
                        num_workers=8,
                        persistent_workers=True,
                        pin_memory=True,
                        drop_last=True,
                        sampler=dict(type='PerSampleSeededSampler',
                                     shuffle=True),
                        collate_fn=dict(type='default_collate'),
                        dataset=dict(type='PerSampleSeededDataset',
                                     dataset=dict(type=dataset_type),
                                     data_root=data_root,
                                     split='train',
                                     pipeline=train_pipeline))
