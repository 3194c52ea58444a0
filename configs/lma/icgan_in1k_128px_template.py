# Template (not run): LMA's generator at 128 px on ImageNet, for GPUs. An
# IC-GAN conditioned on the features of a pretrained MSF ResNet-50, k=50
# neighbours as in IC-GAN; the digits config with what differs. Set
# `msf_checkpoint` and `data_root`, then
#   python tools/lma/train_generator.py \
#       configs/lma/icgan_in1k_128px_template.py
_base_ = './icgan_digits_cpu.py'

msf_checkpoint = 'work_dirs/msf_resnet50_8xb32-coslr-200e_in1k/epoch_200.pth'
# one fixed 128 px centre crop per image (mmcv loads BGR: the generator
# makes BGR images, as the SSL pipelines it feeds load them)
train_images = dict(type='ImageNet',
                    data_root='data/imagenet/',
                    split='train',
                    pipeline=[
                        dict(type='LoadImageFromFile'),
                        dict(type='ResizeEdge', scale=128, edge='short'),
                        dict(type='CenterCrop', crop_size=128),
                    ])
# ours: MSF's backbone instead of IC-GAN's SwAV ResNet-50 (both 2048-d)
extractor = dict(type='BackboneFeatureExtractor',
                 checkpoint=msf_checkpoint,
                 resize=224)

model = dict(
    # BigGAN 128 px widths (16-16-8-4-2-1 x base) with z of 120 and a
    # 128-d embedding of h; ours: base 64 instead of 96 for one GPU
    generator=dict(feature_dim=2048,
                   z_dim=120,
                   img_size=128,
                   base_channels=64,
                   embed_dim=128),
    discriminator=dict(base_channels=64),
    # BigGAN: EMA decay 0.9999 from iteration 20k, 2 D steps per G step
    ema_momentum=1e-4,
    ema_start=20000,
    num_dis_steps=2,
    translation_ratio=0.)

# BigGAN's two time-scale Adam (the digits config's faster one is for a
# 2,000-step CPU run)
biggan_adam = dict(type='Adam', betas=(0.0, 0.999))
optim_wrapper = dict(generator=dict(optimizer=dict(biggan_adam, lr=1e-4)),
                     discriminator=dict(optimizer=dict(biggan_adam, lr=4e-4)))

train_dataloader = dict(
    batch_size=256,
    num_workers=8,
    persistent_workers=True,
    dataset=dict(dataset=dict(
        dataset=dict(_delete_=True, **train_images),
        extractor=dict(_delete_=True, **extractor),
        k=50,
        # the exact search over 1.28M images is long: faiss, if installed
        use_faiss=True)))

max_epochs = 100  # 500k iterations of 256 images
train_cfg = dict(max_epochs=max_epochs)
default_hooks = dict(logger=dict(interval=100),
                     checkpoint=dict(interval=1, max_keep_ckpts=3))
custom_hooks = [
    dict(type='GeneratorSampleGridHook', interval=5000, channel_order='bgr'),
]
log_processor = dict(window_size=100)
env_cfg = dict(dist_cfg=dict(backend='nccl'))
