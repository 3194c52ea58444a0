# Copyright (c) mmmsf contributors. All rights reserved.
from .co2 import CO2
from .conditional_vae import ConditionalVAE
from .icgan import ICGAN
from .msf import MSF

__all__ = ['MSF', 'CO2', 'ICGAN', 'ConditionalVAE']
