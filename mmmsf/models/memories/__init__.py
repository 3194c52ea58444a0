# Copyright (c) mmmsf contributors. All rights reserved.
from .memory_bank import MemoryBank
from .sharded_memory_bank import ShardedMemoryBank

__all__ = ['MemoryBank', 'ShardedMemoryBank']
