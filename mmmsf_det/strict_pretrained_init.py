# Copyright (c) mmmsf contributors. All rights reserved.
from collections import OrderedDict
from typing import Sequence

import torch
from mmengine.registry import WEIGHT_INITIALIZERS
from torch import nn

from mmmsf.checkpoint import backbone_state_dict, load_backbone_checkpoint


@WEIGHT_INITIALIZERS.register_module(name='StrictPretrained')
class StrictPretrainedInit:
    """mmengine's ``Pretrained`` init, loaded safely and strictly.

    Takes a full MSF (or mmpretrain / mmselfsup) checkpoint and the prefix
    of the part to load (``'backbone.'``), or a backbone extracted by
    ``tools/model_converters/extract_backbone_weights.py`` (no key carries
    the prefix). The file is read with ``torch.load(weights_only=True)``
    and mmmsf's allow-list through
    :func:`mmmsf.checkpoint.load_backbone_checkpoint`, the loader of every
    evaluation of mmmsf. Every tensor of the module must come from the
    checkpoint: a missing or mis-shaped key stops the run before training,
    naming the keys, where mmengine's ``Pretrained`` only logs them.

    Args:
        checkpoint (str): Path of the checkpoint.
        prefix (str): Prefix of the keys to load, stripped from them.
            Defaults to ``'backbone.'``.
        ignore_missing (Sequence[str]): Regular expressions of module keys
            that are new by design (e.g. ``'^norm\\.'``, the extra norm of
            the C4 head) and keep their initialisation. Defaults to ().
        ignore_unexpected (Sequence[str]): Regular expressions of checkpoint
            keys this module does not hold (e.g. ``'^layer4\\.'`` for a C4
            backbone whose res5 lives in the RoI head). Defaults to ().
        map_location (str): Defaults to ``'cpu'``.
    """

    def __init__(self,
                 checkpoint: str,
                 prefix: str = 'backbone.',
                 ignore_missing: Sequence[str] = (),
                 ignore_unexpected: Sequence[str] = (),
                 map_location: str = 'cpu') -> None:
        self.checkpoint = checkpoint
        self.prefix = prefix
        self.ignore_missing = tuple(ignore_missing)
        self.ignore_unexpected = tuple(ignore_unexpected)
        self.map_location = map_location

    def state_dict(self) -> 'OrderedDict[str, torch.Tensor]':
        """The tensors under ``prefix`` (stripped) in the checkpoint."""
        return backbone_state_dict(self.checkpoint,
                                   self.prefix,
                                   map_location=self.map_location)

    def __call__(self, module: nn.Module) -> None:
        """Initialise ``module`` from the checkpoint, strictly."""
        load_backbone_checkpoint(module,
                                 self.checkpoint,
                                 self.prefix,
                                 ignore_missing=self.ignore_missing,
                                 ignore_unexpected=self.ignore_unexpected,
                                 map_location=self.map_location,
                                 action='initialise')
