# LMA's generator on the embedded digits, on CPU: an IC-GAN (BigGAN-style
# G with conditional BN on [z, embed(h)], spectral-norm projection D, hinge
# loss, EMA of G, translation augmentation) trained on real pairs
# (x_j, h_i), x_j one of the k=10 nearest neighbours of digit i in a
# label-free PCA-64 of the raw pixels of the training split. 35 epochs of 62
# iterations (batch 64): ~2,200 generator steps, about 13 minutes
# on 2 CPU cores; the generator LMA samples from is the EMA of
# work_dirs/icgan_digits_cpu/epoch_35.pth.
#   python tools/lma/train_generator.py configs/lma/icgan_digits_cpu.py
_base_ = '../_base_/msf_runtime.py'

# conditioning features: label-free PCA of raw pixels, fitted on the
# training split and cached (~/.cache/mmmsf/lma)
train_images = dict(type='EmbeddedDigits', split='train')
extractor = dict(type='PCAFeatureExtractor',
                 dataset=train_images,
                 num_components=64)

model = dict(
    type='ICGAN',
    generator=dict(
        type='ICGANGenerator',
        feature_dim=extractor['num_components'],
        z_dim=64,
        img_size=28,
        out_channels=3,  # the digits come gray replicated to 3 channels
        # ours: widths cut to 64-32-16 channels to train on 2 CPU cores
        base_channels=16),
    discriminator=dict(type='ProjectionDiscriminator', base_channels=16),
    # ours: a faster EMA (BigGAN: 1e-4 from iteration 20k) for a short run
    ema_momentum=0.002,
    num_dis_steps=1,  # ours: BigGAN/IC-GAN take 2 D steps per G step
    # DiffAugment's translation by up to 1/8 of the side; ours: the border
    # it uncovers is black (-1), DiffAugment fills 0 (mid-gray in [-1, 1])
    translation_ratio=0.125)

# k=10 neighbours suits 4,000 digits (label purity 0.89 at k=10 against
# 0.78 at k=50, IC-GAN's ImageNet value)
train_dataloader = dict(
    batch_size=64,
    num_workers=0,
    persistent_workers=False,
    drop_last=True,
    # each pair's neighbour draw is a function of (seed, epoch, index)
    sampler=dict(type='PerSampleSeededSampler', shuffle=True),
    collate_fn=dict(type='default_collate'),
    dataset=dict(type='PerSampleSeededDataset',
                 dataset=dict(type='InstanceNeighbourhoodDataset',
                              dataset=train_images,
                              extractor=extractor,
                              k=10)))

# ours: Adam with lr 8e-4 for G and D alike, betas (0.5, 0.999), for a
# short run (BigGAN's G 1e-4 / D 4e-4, betas (0, 0.999), keeps the label
# 0.215 of the time in 2,170 steps; docs/lma.md lists the tries)
adam = dict(type='Adam', lr=8e-4, betas=(0.5, 0.999))
optim_wrapper = dict(constructor='MultiOptimWrapperConstructor',
                     generator=dict(optimizer=adam),
                     discriminator=dict(optimizer=adam))

max_epochs = 35
# exact mid-epoch resume (skips consumed batches, restores RNG states)
train_cfg = dict(type='ResumableEpochBasedTrainLoop', max_epochs=max_epochs)

default_hooks = dict(
    # MSF's bank and two-view checks do not apply to a GAN
    memory_bank=None,
    input_check=None,
    logger=dict(type='LoggerHook', interval=20),
    checkpoint=dict(type='CheckpointHook', interval=5, max_keep_ckpts=2))
custom_hooks = [
    dict(type='GeneratorSampleGridHook',
         interval=500,
         num_rows=10,
         num_samples=8),
]
log_processor = dict(window_size=20)
env_cfg = dict(dist_cfg=dict(backend='gloo'))
randomness = dict(seed=0)
