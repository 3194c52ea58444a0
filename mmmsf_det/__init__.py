# Copyright (c) mmmsf contributors. All rights reserved.
"""mmdetection plug-ins of the transfer benchmarks.

Imports only mmdet (no mmpretrain), so it loads in the detection
environment built by ``tools/setup_det_env.sh``.
"""
from .res_layer_extra_norm import ResLayerExtraNorm

__all__ = ['ResLayerExtraNorm']
