# What every linear evaluation of mmmsf adds to its runtime: the package,
# and a strict, loud check of the backbone's Pretrained checkpoint.
custom_imports = dict(imports=['mmmsf'], allow_failed_imports=False)
custom_hooks = [dict(type='StrictPretrainedHook')]

# strict resume/load_from of the linear head's own checkpoints
runner_type = 'CheckpointSafeRunner'
