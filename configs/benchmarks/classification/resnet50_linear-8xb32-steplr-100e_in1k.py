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
