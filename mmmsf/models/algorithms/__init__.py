# Copyright (c) mmmsf contributors. All rights reserved.
from .msf import MSF

__all__ = ['MSF']
