# Copyright (c) mmmsf contributors. All rights reserved.
from .knn_monitor_hook import KNNMonitorHook
from .memory_bank_hook import MemoryBankHook

__all__ = ['MemoryBankHook', 'KNNMonitorHook']
