# mmpretrain's runtime plus what every MSF config needs
_base_ = 'mmpretrain::_base_/default_runtime.py'

custom_imports = dict(imports=['mmmsf'], allow_failed_imports=False)

# strict resume/load_from, --resume auto past a truncated checkpoint
runner_type = 'CheckpointSafeRunner'
# opt-ins for a checkpoint that does not fit the model (--migrate-memory,
# --allow-partial-load): keep the newest bank entries of another bank
# size/dtype; skip (with a warning per key) what does not fit
load_checkpoint_cfg = dict(migrate_memory=False, allow_partial=False)

# ResumableEpochBasedTrainLoop registers those of these hooks (with default
# arguments) that a config's own `custom_hooks = [...]` leaves out, so the
# checks survive mmengine replacing the list (see docs/reliability.md).
custom_hooks = [
    # validate the bank before step 1 and log its statistics
    dict(type='MemoryBankHook', interval=100),
    # two views per image, checked before step 1
    dict(type='MSFInputCheckHook'),
    # RNG states in checkpoints: exact resume (with
    # train_cfg.type='ResumableEpochBasedTrainLoop')
    dict(type='RNGStateHook'),
    # stop at a NaN/inf loss before it reaches a checkpoint
    dict(type='NonFiniteLossHook'),
    # SIGTERM (slurm pre-emption): save iter_N.pth, then exit
    dict(type='PreemptionCheckpointHook'),
]

default_hooks = dict(checkpoint=dict(type='CheckpointHook', max_keep_ckpts=3))

# scalars (loss, lr, msf/*) to `<work_dir>/<timestamp>/vis_data`: JSON and
# TensorBoard event files (`tensorboard --logdir <work_dir>`)
vis_backends = [
    dict(type='LocalVisBackend'),
    dict(type='TensorboardVisBackend'),
]
visualizer = dict(type='UniversalVisualizer', vis_backends=vis_backends)

log_processor = dict(window_size=100)
