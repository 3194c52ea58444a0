# mmpretrain's own MoCo v2 (Chen et al., 2020,
# https://arxiv.org/abs/2003.04297) on the embedded digits: a baseline of
# the digits results table
# (docs/evaluation.md). Backbone, projector, queue length, EMA momentum, views,
# optimiser, schedule, k-NN monitor and seed are those of the CO2 digits config
# (../co2/co2_resnet18-w16_1xb128-coslr-30e_digits.py); only the
# implementation differs: mmpretrain's `MoCo` with its own queue buffer instead
# of CO2 with alpha = 0 on mmmsf's MemoryBank (../co2/mocov2_...digits.py).
# Its queue starts from random unit vectors, as in the MoCo paper, while the
# twin's bank is warm-started with real embeddings; docs/evaluation.md gives
# the results of both and the commands that reproduce them.
_base_ = '../co2/co2_resnet18-w16_1xb128-coslr-30e_digits.py'

model = dict(
    _delete_=True,
    type='MoCo',
    queue_len=4096,
    feat_dim=64,
    # EMA weight of the online model (1 - m), as in the CO2 digits config
    momentum=0.01,
    data_preprocessor=_base_.model.data_preprocessor,
    backbone=_base_.model.backbone,
    neck=_base_.model.neck,
    head=dict(type='ContrastiveHead',
              loss=dict(type='CrossEntropyLoss'),
              temperature=0.2))

# MoCo has no mmmsf memory bank, so no bank hook (and no warm start: MoCo
# starts from its random unit-vector queue, as in the MoCo paper); the
# runtime's other hooks stay, as for mmpretrain's BYOL
# (../byol/byol_resnet18-w16_...digits.py)
default_hooks = dict(memory_bank=None)
