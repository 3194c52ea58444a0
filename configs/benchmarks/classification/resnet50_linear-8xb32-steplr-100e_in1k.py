# The standard OpenMMLab / MoCo linear protocol on a frozen ResNet-50
# (mmpretrain's mocov2 benchmark): SGD lr 30, no weight decay, 100 epochs,
# lr x0.1 at 60 and 80, batch 8 x 32. Set the checkpoint with
# tools/benchmarks/linear_eval.sh.
_base_ = [
    'mmpretrain::mocov2/benchmarks/resnet50_8xb32-linear-steplr-100e_in1k.py',
    './_base_/strict_pretrained_runtime.py',
]

# zero_init_residual as in pretraining: the same random-init baseline
model = dict(backbone=dict(norm_eval=True, zero_init_residual=False))
# the lr is for a total batch of 256; another total batch (processes x
# batch size) scales it linearly, and the log says so
auto_scale_lr = dict(base_batch_size=256, enable=True)
