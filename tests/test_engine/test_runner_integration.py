# Copyright (c) mmmsf contributors. All rights reserved.
"""The CPU demo config with the real mmengine Runner."""
import copy
import math
import os.path as osp
import subprocess
import sys
import uuid

import pytest
import torch
from mmengine.config import Config
from mmengine.hooks import Hook
from mmengine.runner import Runner
from mmpretrain.utils import get_ori_model

sys.path.insert(0, osp.dirname(osp.dirname(__file__)))
from conftest import tiny_cfg_options  # noqa: E402
from conftest import CO2_DEMO_CONFIG, DEMO_CONFIG, REPO_ROOT  # noqa: E402


def _cfg(work_dir, **extra):
    cfg = Config.fromfile(DEMO_CONFIG)
    cfg.merge_from_dict(tiny_cfg_options(str(work_dir)))
    cfg.merge_from_dict(extra)
    cfg.experiment_name = f'test_{uuid.uuid4().hex[:8]}'
    return cfg


class _Snapshot(Hook):
    """Record the state the runner starts training from."""

    def before_train(self, runner):
        model = get_ori_model(runner.model)
        self.iter = runner.iter
        self.state = {k: v.clone() for k, v in model.state_dict().items()}
        self.optim = copy.deepcopy(runner.optim_wrapper.state_dict())


def test_train_checkpoint_holds_bank_and_resume_restores_it(tmp_path):
    runner = Runner.from_cfg(_cfg(tmp_path / 'a'))
    runner.train()
    ckpt_path = tmp_path / 'a' / 'epoch_1.pth'
    assert ckpt_path.exists()
    # plain torch.load with weights_only=True (torch >= 2.6 default)
    ckpt = torch.load(ckpt_path, weights_only=True)
    state = ckpt['state_dict']
    for key in ('memory.feats', 'memory.labels', 'memory.ptr',
                'memory.num_seen'):
        assert key in state
    assert int(state['memory.num_seen']) == 64  # 4 steps x 16 samples
    assert int(state['memory.ptr']) == 64
    assert set(state['memory.labels'][:64].tolist()) <= set(range(10))
    assert any(k.startswith('target_net.module.') for k in state)

    cfg = _cfg(tmp_path / 'b', **{'train_cfg.max_epochs': 2})
    cfg.resume, cfg.load_from = True, str(ckpt_path)
    resumed = Runner.from_cfg(cfg)
    snap = _Snapshot()
    resumed.register_hook(snap, priority='VERY_LOW')
    resumed.train()
    assert snap.iter == 4
    for key, value in state.items():
        assert torch.equal(snap.state[key], value), key
    saved_optim = ckpt['optimizer']['state']
    for idx, buf in snap.optim['state'].items():
        assert torch.equal(buf['momentum_buffer'],
                           saved_optim[idx]['momentum_buffer'])
    final = get_ori_model(resumed.model).memory
    assert int(final.num_seen) == 128 and int(final.ptr) == 0  # wrapped
    assert resumed.iter == 8


def test_bank_smaller_than_global_batch_stops_before_training(tmp_path):
    cfg = _cfg(tmp_path, **{'model.memory.size': 8, 'model.head.topk': 2})
    runner = Runner.from_cfg(cfg)
    with pytest.raises(ValueError, match=r'global batch \(16 samples'):
        runner.train()
    assert runner.iter == 0
    assert not (tmp_path / 'epoch_1.pth').exists()


def test_warm_start_fills_bank_with_real_embeddings(tmp_path):
    cfg = _cfg(
        tmp_path, **{
            'default_hooks.memory_bank': dict(interval=1, warm_start=True),
            'train_cfg.max_epochs': 1,
            'model.memory.size': 32,
        })
    runner = Runner.from_cfg(cfg)

    class _Probe(Hook):

        def before_train_iter(self, runner, batch_idx, data_batch=None):
            if runner.iter == 0:
                memory = get_ori_model(runner.model).memory
                self.seen = int(memory.num_seen)
                self.labels = memory.labels.clone()

    probe = _Probe()
    runner.register_hook(probe, priority='VERY_LOW')
    runner.train()
    assert probe.seen == 32  # filled before step 1 (2 batches of 16)
    assert (probe.labels >= 0).all()
    scalars = runner.message_hub.log_scalars
    for key in ('msf/bank_fill', 'msf/nn_distance', 'msf/embedding_std',
                'msf/purity_mean'):
        assert key in scalars, key
    assert scalars['msf/bank_fill'].current() == 1.0


def test_scalars_reach_tensorboard(tmp_path):
    from tensorboard.backend.event_processing.event_accumulator import \
        EventAccumulator
    cfg = _cfg(tmp_path, **{'train_dataloader.dataset.indices': 32})
    Runner.from_cfg(cfg).train()
    events = list(tmp_path.glob('*/vis_data/events.out.tfevents.*'))
    assert len(events) == 1, events
    acc = EventAccumulator(str(events[0]))
    acc.Reload()
    for tag in ('loss', 'msf/purity_mean', 'msf/bank_fill'):
        assert tag in acc.Tags()['scalars'], tag
    losses = acc.Scalars('loss')
    assert [e.step for e in losses] == [1, 2]  # 32 samples, batches of 16
    assert all(math.isfinite(e.value) for e in losses)


# mmpretrain's BYOL on the digits: a baseline of the digits results table
BYOL_DIGITS = osp.join(REPO_ROOT, 'configs', 'byol',
                       'byol_resnet18-w16_1xb128-coslr-30e_digits.py')


@pytest.mark.parametrize('config', [DEMO_CONFIG, CO2_DEMO_CONFIG, BYOL_DIGITS],
                         ids=['msf', 'co2', 'byol_digits'])
def test_config_runs_under_mmpretrain_own_train_tool(tmp_path, config):
    import mmpretrain
    tool = osp.join(osp.dirname(mmpretrain.__file__), '.mim', 'tools',
                    'train.py')
    model = Config.fromfile(config).model
    opts = tiny_cfg_options(str(tmp_path), num_samples=32)
    opts.pop('work_dir')
    overrides = [
        f'{k}={v}' for k, v in opts.items()
        if not isinstance(v, (list, dict)) and (
            'memory' in model or not k.startswith('model.memory'))
    ]
    # keep the config's own hooks, on small k-NN sets
    hooks = [h['type'] for h in Config.fromfile(config).custom_hooks]
    knn = hooks.index('KNNMonitorHook')
    overrides += [
        f'custom_hooks.{knn}.reference_dataloader.dataset.indices=64',
        f'custom_hooks.{knn}.query_dataloader.dataset.indices=32',
    ]
    proc = subprocess.run([
        sys.executable, tool, config, '--work-dir',
        str(tmp_path), '--cfg-options', *overrides
    ],
                          cwd=REPO_ROOT,
                          capture_output=True,
                          text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert (tmp_path / 'epoch_1.pth').exists()


def test_bank_hook_warns_once_when_the_representation_collapses(tmp_path):
    """A full bank of (nearly) one vector is a collapsed representation:
    the hook says so once, naming the settings to change (CO2: alpha); a
    healthy bank of spread-out unit vectors raises no warning."""
    from mmmsf.engine.hooks import MemoryBankHook
    cfg = Config.fromfile(CO2_DEMO_CONFIG)
    cfg.merge_from_dict(tiny_cfg_options(str(tmp_path)))
    cfg.experiment_name = f'test_{uuid.uuid4().hex[:8]}'
    runner = Runner.from_cfg(cfg)
    hook = MemoryBankHook(interval=1)
    memory = get_ori_model(runner.model).memory
    memory.num_seen.fill_(memory.size)  # a full bank of random unit vectors
    hook.after_train_iter(runner, 0)
    assert not hook.collapse_warned
    one = torch.nn.functional.normalize(torch.ones(memory.dim), dim=0)
    memory.feats.copy_(one + 1e-5 * torch.randn_like(memory.feats))
    hook.after_train_iter(runner, 0)
    hook.after_train_iter(runner, 0)
    assert hook.collapse_warned
    with open(osp.join(runner.log_dir, f'{runner.timestamp}.log')) as f:
        log = f.read()
    assert log.count('the representation has collapsed') == 1
    assert 'model.head.alpha' in log and 'model.momentum' in log
