# mmpretrain's BYOL (Grill et al., 2020) on the embedded digits: the
# baseline of the digits results table (docs/evaluation.md), trained with
# the backbone, MLP sizes, optimiser, schedule, k-NN monitor and seed of
# the MSF digits config (configs/msf/msf_resnet18-w16_1xb128-coslr-30e_
# digits.py), so that only the method differs.
_base_ = [
    '../_base_/models/byol_resnet18-w16.py',
    '../_base_/datasets/digits_bs128_msf_knn.py',
    '../_base_/schedules/sgd_coslr_30e_bs128.py',
    '../_base_/msf_cpu_runtime.py',
]

# BYOL's loss is symmetric over two views drawn from the same (strong)
# augmentation family: the data's views with the strong one for both
train_dataloader = dict(dataset=dict(pipeline=[
    dict(_base_.train_pipeline[0], view_mode='s/s'),
    dict(type='PackInputs'),
]))
# no memory bank: the runtime's other hooks (input check, RNG states, NaN
# guard, SIGTERM saving) stay
default_hooks = dict(memory_bank=None)
