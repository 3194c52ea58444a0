# ./msf_runtime.py for the CPU recipes: logs every 10 iterations,
# checkpoints every 5 epochs, gloo, seed 0
_base_ = './msf_runtime.py'

default_hooks = dict(
    # the bank filled with real embeddings before step 1 (a method without
    # a bank sets memory_bank=None)
    memory_bank=dict(interval=10, warm_start=True),
    logger=dict(type='LoggerHook', interval=10),
    checkpoint=dict(type='CheckpointHook', interval=5, max_keep_ckpts=2))
log_processor = dict(window_size=10)
env_cfg = dict(dist_cfg=dict(backend='gloo'))
randomness = dict(seed=0)
