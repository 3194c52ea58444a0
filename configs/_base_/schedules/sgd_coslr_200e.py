# SGD, lr 0.05 per 256 images, momentum 0.9, wd 1e-4, cosine, 200 epochs
optim_wrapper = dict(type='OptimWrapper',
                     optimizer=dict(type='SGD',
                                    lr=0.05,
                                    momentum=0.9,
                                    weight_decay=1e-4))

param_scheduler = [
    dict(type='CosineAnnealingLR', T_max=200, by_epoch=True, begin=0, end=200)
]

# exact mid-epoch resume (skips consumed batches, restores RNG states)
train_cfg = dict(type='ResumableEpochBasedTrainLoop', max_epochs=200)

# lr is scaled linearly from a total batch of 256 with --auto-scale-lr
auto_scale_lr = dict(base_batch_size=256)
