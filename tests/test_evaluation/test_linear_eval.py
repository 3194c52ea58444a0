# Copyright (c) mmmsf contributors. All rights reserved.
"""Linear evaluation: the MSF-protocol neck and its statistics, the strict
checkpoint check, and tools/benchmarks/linear_eval.sh end to end."""
import os
import subprocess
import sys
import uuid

import numpy as np
import pytest
import torch
from conftest import free_port
from eval_helpers import (LINEAR_CONFIG, LINEAR_SCRIPT, MSF_LINEAR_CONFIG,
                          RENAMED, save_msf_checkpoint,
                          save_renamed_checkpoint, tiny_split)
from mmengine.config import Config
from mmengine.runner import Runner
from mmpretrain.utils import get_ori_model

from mmmsf.engine.hooks import feature_statistics_hook
from mmmsf.models.necks import L2NormStandardizeNeck


def test_neck_standardises_with_its_statistics():
    rng = np.random.RandomState(0)
    feats = rng.rand(6, 4, 3, 3).astype(np.float32)  # N x C x H x W
    mean, var = rng.randn(4).astype(np.float32), rng.rand(4).astype(np.float32)
    neck = L2NormStandardizeNeck(in_channels=4, eps=1e-5)
    with pytest.raises(RuntimeError, match='FeatureStatisticsHook'):
        neck((torch.from_numpy(feats), ))
    neck.set_statistics(torch.from_numpy(mean), torch.from_numpy(var), 10)
    out, = neck((torch.from_numpy(feats), ))
    pooled = feats.mean(axis=(2, 3))
    unit = pooled / np.linalg.norm(pooled, axis=1, keepdims=True)
    expected = (unit - mean) / np.sqrt(var + 1e-5)
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-5, atol=1e-5)
    # the statistics travel in the state dict
    state = neck.state_dict()
    assert set(state) == {'mean', 'var', 'num_samples'}
    fresh = L2NormStandardizeNeck(in_channels=4)
    fresh.load_state_dict(state)
    assert fresh.has_statistics and torch.equal(fresh.mean, neck.mean)


def _cfg(config, work_dir, ckpt, **extra):
    cfg = Config.fromfile(config)
    options = {
        'work_dir': str(work_dir),
        'train_dataloader.batch_size': 16,
        'train_cfg.max_epochs': 1,
        'model.backbone.init_cfg.checkpoint': ckpt,
        'default_hooks.checkpoint.interval': 1,
    }
    for item in (tiny_split('train_dataloader', 64) +
                 tiny_split('val_dataloader', 32)):
        key, value = item.split('=')
        options[key] = int(value) if value.isdigit() else value
    options.update(extra)
    cfg.merge_from_dict(options)
    cfg.experiment_name = f'test_{uuid.uuid4().hex[:8]}'
    return cfg


@torch.no_grad()
def _numpy_statistics(model, dataset):
    """Mean and variance of the normalised features, computed apart."""
    feats = []
    for i in range(len(dataset)):
        data = model.data_preprocessor({
            k: [v]
            for k, v in dataset[i].items()
        }, False)
        x = model.backbone(data['inputs'])[-1].mean(dim=(2, 3))
        feats.append(x.numpy().astype(np.float64))
    feats = np.concatenate(feats)
    feats /= np.linalg.norm(feats, axis=1, keepdims=True)
    return feats.mean(0), feats.var(0, ddof=1)


def test_msf_protocol_trains_with_training_set_statistics(tmp_path):
    ckpt = str(tmp_path / 'msf.pth')
    state = save_msf_checkpoint(ckpt)
    runner = Runner.from_cfg(_cfg(MSF_LINEAR_CONFIG, tmp_path / 'a', ckpt))
    runner.train()
    model = get_ori_model(runner.model)
    assert torch.equal(model.backbone.layer1[0].conv1.weight,
                       state['backbone.layer1.0.conv1.weight'])
    # the train split under the val pipeline
    dataset_cfg = runner.cfg.train_dataloader.dataset.copy()
    dataset_cfg.pipeline = runner.cfg.val_dataloader.dataset.pipeline
    dataset = runner.build_dataloader(
        dict(dataset=dataset_cfg,
             batch_size=1,
             sampler=dict(type='DefaultSampler', shuffle=False))).dataset
    assert len(dataset) == 64
    mean, var = _numpy_statistics(model.eval(), dataset)
    np.testing.assert_allclose(model.neck.mean.numpy(), mean, atol=1e-6)
    np.testing.assert_allclose(model.neck.var.numpy(),
                               var,
                               rtol=1e-4,
                               atol=1e-9)
    assert int(model.neck.num_samples) == 64
    assert 'val/accuracy/top1' in runner.message_hub.log_scalars

    # a resumed run keeps the checkpointed statistics and skips the pass
    def _fail(*args, **kwargs):
        raise AssertionError('statistics recomputed on resume')

    saved = torch.load(tmp_path / 'a' / 'epoch_1.pth',
                       weights_only=True)['state_dict']
    assert torch.equal(saved['neck.mean'], model.neck.mean)
    original = feature_statistics_hook.backbone_feature_statistics
    feature_statistics_hook.backbone_feature_statistics = _fail
    try:
        cfg = _cfg(MSF_LINEAR_CONFIG, tmp_path / 'b', ckpt,
                   **{'train_cfg.max_epochs': 2})
        cfg.resume, cfg.load_from = True, str(tmp_path / 'a' / 'epoch_1.pth')
        resumed = Runner.from_cfg(cfg)
        resumed.train()
    finally:
        feature_statistics_hook.backbone_feature_statistics = original
    assert torch.equal(
        get_ori_model(resumed.model).neck.mean, saved['neck.mean'])


def test_renamed_checkpoint_refused_with_key_names(tmp_path):
    ckpt, renamed = str(tmp_path / 'msf.pth'), str(tmp_path / 'bad.pth')
    save_msf_checkpoint(ckpt)
    save_renamed_checkpoint(ckpt, renamed)
    runner = Runner.from_cfg(_cfg(LINEAR_CONFIG, tmp_path / 'w', renamed))
    with pytest.raises(RuntimeError) as err:
        runner.train()
    for key in RENAMED:
        assert key[len('backbone.'):] in str(err.value)


def test_random_init_is_announced(tmp_path, capsys):
    cfg = _cfg(LINEAR_CONFIG, tmp_path / 'w', '')
    cfg.model.backbone.init_cfg = dict(type='Kaiming', layer='Conv2d')
    Runner.from_cfg(cfg).train()
    assert 'NO pretrained weights' in capsys.readouterr().out


def _linear_eval_sh(ckpt: str, gpus: str, num_val: int, cwd) -> str:
    """Run linear_eval.sh (MSF protocol, 64 train digits, 1 epoch) in
    ``cwd``; returns its log."""
    options = (tiny_split('train_dataloader', 64) +
               tiny_split('val_dataloader', num_val) +
               ['train_dataloader.batch_size=16', 'train_cfg.max_epochs=1'])
    env = dict(os.environ, PYTHON=sys.executable, PORT=str(free_port()))
    proc = subprocess.run(
        ['bash', LINEAR_SCRIPT, MSF_LINEAR_CONFIG, ckpt, gpus] + options,
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300)
    log = proc.stdout + proc.stderr
    assert proc.returncode == 0, log[-3000:]
    assert 'accuracy/top1' in log
    return log


def test_linear_eval_sh_end_to_end(tmp_path):
    ckpt = str(tmp_path / 'msf.pth')
    save_msf_checkpoint(ckpt)
    log = _linear_eval_sh(ckpt, '1', 32, tmp_path)
    work_dirs = list(
        (tmp_path / 'work_dirs' / 'linear' /
         'resnet18-w16_msf-linear-1xb128-steplr-10e_digits').iterdir())
    assert len(work_dirs) == 1
    assert work_dirs[0].name.startswith(f'{tmp_path.name}-msf-')
    assert (work_dirs[0] / 'epoch_1.pth').exists()
    assert 'Loaded 120 tensors' in log
    assert 'statistics of 64 training samples' in log
    # 1 process x batch 16 against the protocol's 1 x 128: lr x 16/128
    assert 'the current batch size is 16. Scaling the original LR by ' \
        '0.125' in log


def _launch_with_fake_python(tmp_path, config, ckpt, *args, **env):
    """Run linear_eval.sh with a ``python`` that records its arguments."""
    fake = tmp_path / 'fake_python'
    fake.write_text('#!/bin/sh\necho "$@" > "$(dirname "$0")/args"\n')
    fake.chmod(0o755)
    full_env = {k: v for k, v in os.environ.items() if k != 'GPUS'}
    full_env.update(PYTHON=str(fake), **env)
    proc = subprocess.run(['bash', LINEAR_SCRIPT, config, ckpt, *args],
                          cwd=tmp_path,
                          env=full_env,
                          capture_output=True,
                          text=True,
                          timeout=60)
    assert proc.returncode == 0, proc.stderr
    return (tmp_path / 'args').read_text().split()


def test_linear_eval_sh_gpus_default_to_the_protocol(tmp_path):
    in1k = MSF_LINEAR_CONFIG.replace(
        'resnet18-w16_msf-linear-1xb128-steplr-10e_digits',
        'resnet50_msf-linear-8xb32-steplr-40e_in1k')
    args = _launch_with_fake_python(tmp_path, in1k, 'msf.pth')
    assert args[:3] == ['-m', 'torch.distributed.run', '--nproc_per_node=8']
    args = _launch_with_fake_python(tmp_path, in1k, 'msf.pth', GPUS='2')
    assert args[2] == '--nproc_per_node=2'
    args = _launch_with_fake_python(tmp_path, in1k, 'msf.pth', '4')
    assert args[2] == '--nproc_per_node=4'
    args = _launch_with_fake_python(tmp_path, MSF_LINEAR_CONFIG, 'msf.pth',
                                    'train_cfg.max_epochs=1')
    assert args[0].endswith('train.py')  # 1xb128: one process
    assert args[-1] == 'train_cfg.max_epochs=1'


def test_linear_eval_sh_work_dirs_differ_for_same_file_name(tmp_path):
    work_dirs = []
    for run in ('run_a', 'run_b'):
        (tmp_path / run).mkdir()
        (tmp_path / run / 'epoch_200.pth').write_bytes(b'')
        args = _launch_with_fake_python(tmp_path, MSF_LINEAR_CONFIG,
                                        f'{run}/epoch_200.pth')
        work_dirs.append(args[args.index('--work-dir') + 1])
    assert work_dirs[0] != work_dirs[1]
    assert '/run_a-epoch_200-' in work_dirs[0]
    assert '/run_b-epoch_200-' in work_dirs[1]


def _statistics_line(log: str) -> str:
    lines = [ln for ln in log.splitlines() if 'statistics of' in ln]
    assert len(lines) == 1, log[-3000:]
    return lines[0].split('FeatureStatisticsHook:')[1]


def test_linear_eval_sh_two_processes(tmp_path):
    """2 gloo processes: the MSF-protocol statistics cover the whole
    training set (gathered from both ranks), equal to one process's."""
    ckpt = str(tmp_path / 'msf.pth')
    save_msf_checkpoint(ckpt)
    logs = []
    for gpus in ('1', '2'):
        (tmp_path / gpus).mkdir()
        logs.append(_linear_eval_sh(ckpt, gpus, 33, tmp_path / gpus))
    assert 'statistics of 64 training samples' in logs[1]
    assert _statistics_line(logs[1]) == _statistics_line(logs[0])
