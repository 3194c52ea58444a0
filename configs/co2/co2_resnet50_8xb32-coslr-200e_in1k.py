# CO2 on MoCo v2 (Wei et al., ICLR 2021, https://arxiv.org/abs/2010.02217),
# ResNet-50, 200 epochs, 8 GPUs x 32 images (total 256).
# From MoCo v2 (Chen et al., 2020; mmpretrain's mocov2_resnet50 config): SGD
# lr 0.03 per 256 images, momentum 0.9, weight decay 1e-4, cosine schedule,
# 200 epochs; queue K = 65,536 keys of dim 128; InfoNCE temperature 0.2; key
# encoder m = 0.999 (mmengine momentum 0.001); MLP projector
# 2048->2048->128; MoCo v2 augmentation.
# From the CO2 paper (Sec. 3, the method): L = L_ins + alpha * L_con.
# Ours, not checked against the CO2 paper: alpha = 10 and tau_con = 0.04;
# check them against the paper before quoting a comparison with it
# (docs/co2.md).
_base_ = [
    '../_base_/models/co2_resnet50.py',
    '../_base_/datasets/imagenet_bs32_mocov2.py',
    'mmpretrain::_base_/schedules/imagenet_sgd_coslr_200e.py',
    '../_base_/msf_runtime.py',
]

model = dict(head=dict(alpha=10.0, consistency_temperature=0.04))

# exact mid-epoch resume (skips consumed batches, restores RNG states)
train_cfg = dict(type='ResumableEpochBasedTrainLoop', max_epochs=200)

# lr is scaled linearly from a total batch of 256 with --auto-scale-lr
auto_scale_lr = dict(base_batch_size=256)
