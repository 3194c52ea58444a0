# A fallback view generator, not LMA: a conditional VAE whose decoder is
# the IC-GAN generator of icgan_digits_cpu.py, trained on the same pairs
# (x_j, h_i) by the negative ELBO. Faster and steadier than the GAN, its
# samples are blurrier; load_generator reads its EMA decoder as it reads
# an IC-GAN's.
#   python tools/lma/train_generator.py configs/lma/cvae_digits_cpu.py
_base_ = './icgan_digits_cpu.py'

model = dict(_delete_=True,
             type='ConditionalVAE',
             generator=_base_.model.generator,
             base_channels=16,
             kl_weight=1.0,
             ema_momentum=0.002)
optim_wrapper = dict(_delete_=True,
                     type='OptimWrapper',
                     optimizer=dict(type='Adam', lr=1e-3))
max_epochs = 20
train_cfg = dict(max_epochs=max_epochs)
