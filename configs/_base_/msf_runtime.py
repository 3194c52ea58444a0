# mmpretrain's runtime plus what every MSF config needs
_base_ = 'mmpretrain::_base_/default_runtime.py'

custom_imports = dict(imports=['mmmsf'], allow_failed_imports=False)

# strict resume/load_from, --resume auto past a truncated checkpoint
runner_type = 'CheckpointSafeRunner'
# opt-ins for a checkpoint that does not fit the model (--migrate-memory,
# --allow-partial-load): keep the newest bank entries of another bank
# size/dtype; skip (with a warning per key) what does not fit
load_checkpoint_cfg = dict(migrate_memory=False, allow_partial=False)

# The five MSF-critical hooks (keys memory_bank, input_check, rng_state,
# non_finite_loss, preemption) sit in `default_hooks`, which mmengine merges
# by key: a config that writes its own `custom_hooks = [...]` (a list, which
# replaces the base's) keeps them, and a child changes one by its key, e.g.
# `default_hooks = dict(memory_bank=dict(interval=10))`. A child drops one
# with None: a method without a memory bank (BYOL, mmpretrain's MoCo) writes
# `default_hooks = dict(memory_bank=None)` (CheckpointSafeRunner drops every
# None-valued default hook; mmengine drops only its own). Listing one of
# them again in `custom_hooks` stops the run before step 1.
default_hooks = dict(
    checkpoint=dict(type='CheckpointHook', max_keep_ckpts=3),
    # validate the bank before step 1 and log its statistics
    memory_bank=dict(type='MemoryBankHook', interval=100),
    # a non-empty training set and two views per image, checked before
    # step 1
    input_check=dict(type='MSFInputCheckHook'),
    # RNG states in checkpoints: exact resume (with
    # train_cfg.type='ResumableEpochBasedTrainLoop')
    rng_state=dict(type='RNGStateHook'),
    # stop at a NaN/inf loss before it reaches a checkpoint
    non_finite_loss=dict(type='NonFiniteLossHook'),
    # SIGTERM (slurm pre-emption): save iter_N.pth, then exit
    preemption=dict(type='PreemptionCheckpointHook'),
)

# scalars (loss, lr, msf/*) to `<work_dir>/<timestamp>/vis_data`: JSON and
# TensorBoard event files (`tensorboard --logdir <work_dir>`)
vis_backends = [
    dict(type='LocalVisBackend'),
    dict(type='TensorboardVisBackend'),
]
visualizer = dict(type='UniversalVisualizer', vis_backends=vis_backends)

log_processor = dict(window_size=100)
