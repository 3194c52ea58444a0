# Copyright (c) mmmsf contributors. All rights reserved.
import re
from collections import OrderedDict
from typing import Callable, Dict, Optional, Union

from mmengine.model import is_model_wrapper
from mmengine.registry import RUNNERS
from mmengine.runner import BaseLoop, Runner
from mmengine.runner.checkpoint import (_load_checkpoint,
                                        _load_checkpoint_to_model)

from mmmsf.checkpoint import (latest_loadable_checkpoint, prepare_state_dict,
                              register_atomic_local_backend)
from mmmsf.engine.hooks.msf_input_check_hook import describe_dataset

# the default hooks of mmengine itself: it drops only these when set to None
_MMENGINE_DEFAULT_HOOKS = ('runtime_info', 'timer', 'sampler_seed', 'logger',
                           'param_scheduler', 'checkpoint')


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
    - Checkpoints are written atomically: the runner installs
      :class:`~mmmsf.checkpoint.AtomicLocalBackend` as mmengine's backend
      of local paths when it is built, so a kill during a save never
      leaves a truncated file under a checkpoint's name.

    Select it with ``runner_type = 'CheckpointSafeRunner'`` (set in
    ``configs/_base_/msf_runtime.py``); mmpretrain's ``tools/train.py``
    builds it from the registry as ours does.

    Args:
        *args: Positional arguments of :class:`~mmengine.runner.Runner`.
        **kwargs: Keyword arguments of :class:`~mmengine.runner.Runner`.
    """

    def __init__(self, *args, **kwargs) -> None:
        # before anything (CheckpointHook, the pre-emption checkpoint)
        # asks mmengine for the backend of the work dir
        register_atomic_local_backend()
        super().__init__(*args, **kwargs)

    def register_default_hooks(self, hooks: Optional[dict] = None) -> None:
        """Register ``default_hooks``; ``None`` drops a hook, also one that a
        base config adds (mmengine drops only its own).

        ``configs/_base_/msf_runtime.py`` names the MSF-critical hooks there;
        a method without a memory bank writes
        ``default_hooks = dict(memory_bank=None)``.

        Args:
            hooks (dict[str, Hook | dict | None], optional): Hooks or their
                configs by key. Defaults to None.
        """
        hooks = {
            key: hook
            for key, hook in (hooks or {}).items()
            if hook is not None or key in _MMENGINE_DEFAULT_HOOKS
        }
        super().register_default_hooks(hooks)
        self._default_hook_types = [type(hook) for hook in self._hooks]

    def build_train_loop(self, loop: Union[BaseLoop, Dict]) -> BaseLoop:
        """Build the training loop after two checks that name the setting
        at fault: a hook of ``default_hooks`` listed again in
        ``custom_hooks`` is refused, and a training set that cannot be
        built is named.

        Args:
            loop (BaseLoop | dict): The loop or its config.

        Returns:
            BaseLoop: The training loop.
        """
        for hook_type in getattr(self, '_default_hook_types', []):
            num = sum(type(hook) is hook_type for hook in self._hooks)
            if num > 1:
                raise ValueError(
                    f'the runner holds {num} {hook_type.__name__}s '
                    f'(`default_hooks` registers one, `custom_hooks` lists '
                    f'it again); keep one: change the default one by its '
                    f'key, e.g. `default_hooks = dict(memory_bank=dict('
                    f'interval=10))`.')
        if isinstance(loop, dict) and isinstance(self._train_dataloader, dict):
            try:  # as mmengine's loop would build it
                self._train_dataloader = self.build_dataloader(
                    self._train_dataloader,
                    seed=self.seed,
                    diff_rank_seed=self._randomness_cfg.get(
                        'diff_rank_seed', False))
            except Exception as err:
                raise ValueError(
                    f'the training set could not be built from '
                    f'`train_dataloader.dataset` '
                    f'({describe_dataset(self._train_dataloader)}): '
                    f'{type(err).__name__}: {str(err).rstrip(".")}. (The '
                    f'usual causes: a missing or empty data folder, an '
                    f'empty annotation file or an invalid pipeline '
                    f'step.)') from err
        return super().build_train_loop(loop)

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
