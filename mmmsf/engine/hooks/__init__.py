# Copyright (c) mmmsf contributors. All rights reserved.
from .feature_statistics_hook import FeatureStatisticsHook
from .generator_sample_grid_hook import GeneratorSampleGridHook
from .knn_monitor_hook import KNNMonitorHook
from .memory_bank_hook import MemoryBankHook
from .msf_input_check_hook import MSFInputCheckHook
from .non_finite_loss_hook import NonFiniteLossHook
from .preemption_checkpoint_hook import PreemptionCheckpointHook
from .rng_state_hook import RNGStateHook
from .strict_pretrained_hook import StrictPretrainedHook

__all__ = [
    'MemoryBankHook', 'KNNMonitorHook', 'FeatureStatisticsHook',
    'StrictPretrainedHook', 'RNGStateHook', 'PreemptionCheckpointHook',
    'NonFiniteLossHook', 'MSFInputCheckHook', 'GeneratorSampleGridHook'
]
