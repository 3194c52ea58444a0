# Copyright (c) mmmsf contributors. All rights reserved.
"""A config that replaces ``custom_hooks`` keeps the MSF-critical checks:
``configs/_base_/msf_runtime.py`` names them in ``default_hooks``."""
import os.path as osp
import sys
import uuid

import pytest
from mmengine.config import Config
from mmengine.registry import RUNNERS
from mmengine.runner import Runner

from mmmsf.engine.hooks import (MemoryBankHook, MSFInputCheckHook,
                                NonFiniteLossHook, PreemptionCheckpointHook,
                                RNGStateHook)

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(__file__))))
from conftest import DEMO_CONFIG, REPO_ROOT, tiny_cfg_options  # noqa: E402

REQUIRED = (MemoryBankHook, MSFInputCheckHook, RNGStateHook, NonFiniteLossHook,
            PreemptionCheckpointHook)


def _knn_only_cfg(work_dir, *extra_hooks, **options):
    """The demo with ``custom_hooks`` replaced by a k-NN monitor alone."""
    cfg = Config.fromfile(DEMO_CONFIG)
    knn = next(h for h in cfg.custom_hooks if h.type == 'KNNMonitorHook')
    knn.reference_dataloader.dataset.indices = 64
    knn.query_dataloader.dataset.indices = 32
    knn.eval_before_train = False  # seconds saved; not what is tested
    cfg.merge_from_dict(tiny_cfg_options(str(work_dir), num_samples=32))
    cfg.merge_from_dict(options)
    # what a user writes: a list, which replaces the base's hooks
    cfg.custom_hooks = [knn, *extra_hooks]
    cfg.experiment_name = f'test_{uuid.uuid4().hex[:8]}'
    return cfg


def test_knn_only_custom_hooks_still_validate_the_bank(tmp_path):
    cfg = _knn_only_cfg(tmp_path, **{
        'model.memory.size': 8,
        'model.head.topk': 2
    })
    runner = Runner.from_cfg(cfg)
    with pytest.raises(ValueError, match=r'global batch \(16 samples'):
        runner.train()
    assert runner.iter == 0
    for hook_cls in REQUIRED:
        assert sum(isinstance(h, hook_cls) for h in runner.hooks) == 1, \
            hook_cls.__name__
    assert not list(tmp_path.glob('*.pth'))


def test_knn_only_custom_hooks_still_guard_nan(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(osp.join(REPO_ROOT, 'tests', 'helpers'))
    import nan_injector  # noqa: F401  (registers NaNInjectorHook)
    monkeypatch.setenv('MMMSF_TEST_NAN_AT_ITER', '2')
    cfg = _knn_only_cfg(tmp_path, dict(type='NaNInjectorHook'))
    runner = Runner.from_cfg(cfg)
    with pytest.raises(RuntimeError, match='the loss is nan at iteration 2'):
        runner.train()
    assert not list(tmp_path.glob('*.pth'))


def test_two_copies_of_a_required_hook_are_refused(tmp_path):
    cfg = Config.fromfile(DEMO_CONFIG)
    cfg.merge_from_dict(tiny_cfg_options(str(tmp_path), num_samples=32))
    # the base's default_hooks hold one already
    cfg.custom_hooks = [dict(type='NonFiniteLossHook')]
    cfg.experiment_name = f'test_{uuid.uuid4().hex[:8]}'
    runner = RUNNERS.build(cfg)  # the config's runner_type, as tools/train.py
    with pytest.raises(ValueError, match=r'holds 2 NonFiniteLossHooks'):
        runner.train()  # fails before building the loop: no step taken


def test_required_hooks_can_be_set_explicitly(tmp_path):
    cfg = _knn_only_cfg(
        tmp_path,
        **{
            # what a method without a bank writes
            'default_hooks.memory_bank': None,
            'model.memory.size': 8,
            'model.head.topk': 2
        })
    runner = RUNNERS.build(cfg)  # the config's runner_type, as tools/train.py
    runner._train_loop = runner.build_train_loop(runner._train_loop)
    names = [type(h).__name__ for h in runner.hooks]
    assert names.count('NonFiniteLossHook') == 1
    assert 'MemoryBankHook' not in names
