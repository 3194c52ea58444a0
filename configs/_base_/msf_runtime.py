# mmpretrain's runtime plus what every MSF config needs
_base_ = 'mmpretrain::_base_/default_runtime.py'

custom_imports = dict(imports=['mmmsf'], allow_failed_imports=False)

# validate the bank before step 1 and log its statistics
custom_hooks = [dict(type='MemoryBankHook', interval=100)]

default_hooks = dict(checkpoint=dict(type='CheckpointHook', max_keep_ckpts=3))

log_processor = dict(window_size=100)
