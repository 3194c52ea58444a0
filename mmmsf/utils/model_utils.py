# Copyright (c) mmmsf contributors. All rights reserved.
from mmengine.model import is_model_wrapper
from torch import nn


def get_ori_model(model: nn.Module) -> nn.Module:
    """The model inside a wrapper such as DDP (mmengine 0.10 lacks it).

    Args:
        model (nn.Module): A model or a registered model wrapper.

    Returns:
        nn.Module: The unwrapped model.
    """
    return model.module if is_model_wrapper(model) else model
