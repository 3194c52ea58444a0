# Copyright (c) mmmsf contributors. All rights reserved.
from .ic_gan_generator import ICGANGenerator
from .projection_discriminator import ProjectionDiscriminator

__all__ = ['ICGANGenerator', 'ProjectionDiscriminator']
