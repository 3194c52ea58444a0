# Copyright (c) mmmsf contributors. All rights reserved.
from .memory_bank import MemoryBank

__all__ = ['MemoryBank']
