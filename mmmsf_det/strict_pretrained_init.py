# Copyright (c) mmmsf contributors. All rights reserved.
import re
from collections import OrderedDict
from typing import Sequence

import torch
from mmengine.logging import print_log
from mmengine.registry import WEIGHT_INITIALIZERS
from torch import nn

from mmmsf.utils import load_checkpoint_safely
from mmmsf.utils.model_converters import state_dict_mismatches


@WEIGHT_INITIALIZERS.register_module(name='StrictPretrained')
class StrictPretrainedInit:
    """mmengine's ``Pretrained`` init, loaded safely and strictly.

    Takes a full MSF (or mmpretrain / mmselfsup) checkpoint and the prefix
    of the part to load (``'backbone.'``), or a backbone extracted by
    ``tools/model_converters/extract_backbone_weights.py`` (no key carries
    the prefix). The file is read with ``torch.load(weights_only=True)``
    and mmmsf's allow-list (:func:`mmmsf.utils.load_checkpoint_safely`).
    Every tensor of the module must come from the checkpoint: a missing or
    mis-shaped key stops the run before training, naming the keys, where
    mmengine's ``Pretrained`` only logs them.

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
        self.ignore_missing = [re.compile(p) for p in ignore_missing]
        self.ignore_unexpected = [re.compile(p) for p in ignore_unexpected]
        self.map_location = map_location

    def state_dict(self) -> 'OrderedDict[str, torch.Tensor]':
        """The tensors under ``prefix`` (stripped) in the checkpoint."""
        ckpt = load_checkpoint_safely(self.checkpoint,
                                      map_location=self.map_location)
        state = ckpt.get('state_dict', ckpt) if isinstance(ckpt,
                                                           dict) else None
        if not isinstance(state, dict) or not all(
                torch.is_tensor(v) for v in state.values()):
            raise ValueError(
                f'{self.checkpoint} is neither an mmengine checkpoint with '
                f'a "state_dict" nor a plain state dict of tensors.')
        if state and all(k.startswith('module.') for k in state):
            state = {k[len('module.'):]: v for k, v in state.items()}
        if self.prefix and any(k.startswith(self.prefix) for k in state):
            return OrderedDict((k[len(self.prefix):], v)
                               for k, v in state.items()
                               if k.startswith(self.prefix))
        return OrderedDict(state)

    def __call__(self, module: nn.Module) -> None:
        state = self.state_dict()
        own = module.state_dict()

        def matches(key, patterns):
            return any(p.search(key) for p in patterns)

        # a pattern excuses a key only where it is actually absent
        problems = state_dict_mismatches(
            {
                k: v
                for k, v in own.items()
                if k in state or not matches(k, self.ignore_missing)
            }, {
                k: v
                for k, v in state.items()
                if k in own or not matches(k, self.ignore_unexpected)
            })
        if problems:
            raise RuntimeError(
                f'Refusing to initialise {type(module).__name__} from '
                f'{self.checkpoint} (prefix {self.prefix!r}): ' +
                '; '.join(problems) + '. The checkpoint does not match the '
                'model config.')
        loaded = {k: v for k, v in state.items() if k in own}
        module.load_state_dict(loaded, strict=False)
        print_log(
            f'Loaded {len(loaded)} tensors into {type(module).__name__} '
            f'from {self.checkpoint} (prefix {self.prefix!r}); kept the '
            f'initialisation of {len(own) - len(loaded)} new tensors.',
            logger='current')
