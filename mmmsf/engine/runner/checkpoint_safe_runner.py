# Copyright (c) mmmsf contributors. All rights reserved.
import re
from collections import OrderedDict
from typing import Callable, Union

from mmengine.model import is_model_wrapper
from mmengine.registry import RUNNERS
from mmengine.runner import Runner
from mmengine.runner.checkpoint import (_load_checkpoint,
                                        _load_checkpoint_to_model)

from mmmsf.checkpoint import latest_loadable_checkpoint, prepare_state_dict


@RUNNERS.register_module()
class CheckpointSafeRunner(Runner):
    """mmengine's :class:`~mmengine.runner.Runner` that never loads a
    checkpoint in part without being told to.

    - ``resume`` and ``load_from`` are strict: a checkpoint whose keys,
      shapes or memory bank differ from the model stops the run before
      step 1 with one :class:`~mmmsf.checkpoint.CheckpointMismatchError`
      naming the keys and the config settings behind them (mmengine would
      log them at info level and train on). A bank of another size or dtype
      is migrated only with ``load_checkpoint_cfg.migrate_memory=True``
      (``--migrate-memory``); a partial load needs
      ``load_checkpoint_cfg.allow_partial=True`` (``--allow-partial-load``)
      and warns for every key it skips.
    - ``--resume auto`` takes the newest checkpoint that can be read,
      skipping a truncated one with a warning.

    Select it with ``runner_type = 'CheckpointSafeRunner'`` (set in
    ``configs/_base_/msf_runtime.py``); mmpretrain's ``tools/train.py``
    builds it from the registry as ours does. Checkpoints are written
    atomically by every runner once ``mmmsf`` is imported
    (:class:`~mmmsf.checkpoint.AtomicLocalBackend`).
    """

    @property
    def load_checkpoint_cfg(self) -> dict:
        """dict: ``allow_partial`` and ``migrate_memory`` of the config."""
        cfg = dict(allow_partial=False, migrate_memory=False)
        cfg.update(self.cfg.get('load_checkpoint_cfg') or {})
        return cfg

    def load_or_resume(self) -> None:
        """Load or resume; ``--resume auto`` skips unreadable checkpoints."""
        if self._has_loaded or not (self._resume and self._load_from is None):
            return super().load_or_resume()
        resume_from = latest_loadable_checkpoint(self.work_dir)
        if resume_from is None:
            self.logger.info('No readable checkpoint to resume from in '
                             f'{self.work_dir}: training from the start.')
            return None
        self.logger.info(f'Auto resumed from the latest checkpoint '
                         f'{resume_from}.')
        self.resume(resume_from)
        self._has_loaded = True

    def load_checkpoint(self,
                        filename: str,
                        map_location: Union[str, Callable] = 'cpu',
                        strict: bool = False,
                        revise_keys: list = [(r'^module.', '')]) -> dict:
        """Load ``filename`` into the model, strictly (see the class).

        Args:
            filename (str): Checkpoint path or URL.
            map_location (str | Callable): As in :func:`torch.load`.
                Defaults to 'cpu'.
            strict (bool): Ignored: loading is strict unless the config's
                ``load_checkpoint_cfg.allow_partial`` is True.
            revise_keys (list): ``(pattern, replacement)`` pairs applied to
                the keys. Defaults to stripping ``module.``.

        Returns:
            dict: The loaded checkpoint.
        """
        load_cfg = self.load_checkpoint_cfg
        checkpoint = _load_checkpoint(filename, map_location=map_location)
        self.call_hook('after_load_checkpoint', checkpoint=checkpoint)
        model = self.model.module if is_model_wrapper(
            self.model) else self.model
        state_dict = checkpoint.get('state_dict', checkpoint)
        metadata = getattr(state_dict, '_metadata', OrderedDict())
        for pattern, replacement in revise_keys:
            state_dict = OrderedDict((re.sub(pattern, replacement, k), v)
                                     for k, v in state_dict.items())
        state_dict._metadata = metadata
        state_dict = prepare_state_dict(model, state_dict, filename,
                                        **load_cfg)
        if 'state_dict' in checkpoint:
            checkpoint['state_dict'] = state_dict
        else:
            checkpoint = state_dict
        checkpoint = _load_checkpoint_to_model(
            model,
            checkpoint,
            strict=not load_cfg['allow_partial'],
            revise_keys=[])
        self._has_loaded = True
        self.logger.info(f'Load checkpoint from {filename}')
        return checkpoint
