# Copyright (c) mmmsf contributors. All rights reserved.
"""Converters: backbone extraction, torchvision export, official import."""
import argparse
import os.path as osp
import subprocess
import sys

import pytest
import torch
import torchvision
from mmengine.config import Config
from mmpretrain.registry import MODELS

sys.path.insert(0, osp.dirname(__file__))
from conftest import REPO_ROOT  # noqa: E402

R18_CONFIG = osp.join(REPO_ROOT, 'configs', 'msf',
                      'msf_resnet18_8xb32-coslr-200e_in1k.py')
R50_CONFIG = osp.join(REPO_ROOT, 'configs', 'msf',
                      'msf_resnet50_8xb32-coslr-200e_in1k.py')
# the config each official architecture imports into
OFFICIAL_CONFIGS = {'resnet18': R18_CONFIG, 'resnet50': R50_CONFIG}
TOOLS = osp.join(REPO_ROOT, 'tools', 'model_converters')
BANK = 64


def _run(tool, *args):
    proc = subprocess.run(
        [sys.executable,
         osp.join(TOOLS, tool), *map(str, args)],
        capture_output=True,
        text=True,
        timeout=300)
    return proc


def _msf_checkpoint(path):
    """An mmengine-style MSF ResNet-18 checkpoint with random weights."""
    cfg = Config.fromfile(R18_CONFIG)
    cfg.model.memory.size = BANK
    model = MODELS.build(cfg.model)
    with torch.no_grad():  # non-trivial BN statistics
        for name, buf in model.named_buffers():
            if 'running' in name:
                buf.uniform_(0.5, 1.5)
    torch.save(
        dict(meta=dict(cfg=cfg.pretty_text), state_dict=model.state_dict()),
        path)
    return model


def _official_mlp(in_dim, hidden_dim, out_dim):
    """``get_mlp`` of the official train_msf.py."""
    return torch.nn.Sequential(torch.nn.Linear(in_dim, hidden_dim),
                               torch.nn.BatchNorm1d(hidden_dim),
                               torch.nn.ReLU(inplace=True),
                               torch.nn.Linear(hidden_dim, out_dim))


def _official_msf(arch):
    """A model with the layout of the official ``MeanShift`` module.

    Written from github.com/UMBCvision/MSF (train_msf.py), independently of
    mmmsf: torchvision ResNets whose ``fc`` is the projection MLP (hidden =
    2 x feature width, output = width / 4), a prediction MLP, each behind
    DataParallel as ``data_parallel()`` leaves them, and the
    ``queue`` / ``labels`` / ``queue_ptr`` buffers. Random weights, the
    target differing from the online encoder (as after training), and
    non-trivial BN statistics.
    """
    official = torch.nn.Module()
    for name in ('encoder_q', 'encoder_t'):
        net = getattr(torchvision.models, arch)()
        feat_dim = net.fc.in_features
        net.fc = _official_mlp(feat_dim, 2 * feat_dim, feat_dim // 4)
        setattr(official, name, torch.nn.DataParallel(net))
    official.predict_q = torch.nn.DataParallel(
        _official_mlp(feat_dim // 4, 2 * feat_dim, feat_dim // 4))
    queue = torch.nn.functional.normalize(torch.randn(BANK, feat_dim // 4))
    official.register_buffer('queue', queue)
    labels = torch.arange(BANK) % 10
    labels[-8:] = -1  # the last 8 slots were never written
    official.register_buffer('labels', labels)
    official.register_buffer('queue_ptr', torch.tensor([BANK - 8]))
    with torch.no_grad():
        for name, buf in official.named_buffers():
            if 'running' in name:
                buf.uniform_(0.5, 1.5)
    return official


@torch.no_grad()
def _features(backbone, x):
    backbone.eval()
    out = backbone(x)
    out = out[-1] if isinstance(out, tuple) else out
    return out.flatten(1) if out.dim() == 2 else out.mean((2, 3))


def test_extract_backbone_loads_through_init_cfg(tmp_path):
    model = _msf_checkpoint(tmp_path / 'msf.pth')
    proc = _run('extract_backbone_weights.py', tmp_path / 'msf.pth',
                tmp_path / 'backbone.pth')
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert 'backbone tensors' in proc.stdout
    saved = torch.load(tmp_path / 'backbone.pth', weights_only=True)
    assert set(saved['state_dict']) == set(model.backbone.state_dict())
    # the way mmpretrain / mmdet consume it
    backbone = MODELS.build(
        dict(type='ResNet',
             depth=18,
             init_cfg=dict(type='Pretrained',
                           checkpoint=str(tmp_path / 'backbone.pth'))))
    backbone.init_weights()
    for k, v in model.backbone.state_dict().items():
        assert torch.equal(backbone.state_dict()[k], v), k


def test_torchvision_export_reproduces_features(tmp_path):
    model = _msf_checkpoint(tmp_path / 'msf.pth')
    proc = _run('mmmsf_to_torchvision.py', tmp_path / 'msf.pth',
                tmp_path / 'tv.pth', '--arch', 'resnet18')
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert 'verified' in proc.stdout
    tv = torchvision.models.resnet18()
    tv.fc = torch.nn.Identity()
    tv.load_state_dict(torch.load(tmp_path / 'tv.pth', weights_only=True),
                       strict=True)
    x = torch.randn(2, 3, 64, 64)
    assert torch.allclose(_features(tv, x),
                          _features(model.backbone, x),
                          atol=1e-5)


@pytest.mark.parametrize('arch', sorted(OFFICIAL_CONFIGS))
def test_official_import_round_trip(tmp_path, arch):
    """An official-layout checkpoint imports strictly into the config of
    its architecture and computes what the official modules compute."""
    official = _official_msf(arch)
    torch.save(
        dict(opt=argparse.Namespace(arch=arch, topk=10),
             state_dict=official.state_dict(),
             epoch=200), tmp_path / 'official.pth')
    proc = _run('official_msf_to_mmmsf.py', tmp_path / 'official.pth',
                tmp_path / 'imported.pth', '--config', OFFICIAL_CONFIGS[arch])
    assert proc.returncode == 0, proc.stderr[-2000:]
    imported = torch.load(tmp_path / 'imported.pth', weights_only=True)
    state = imported['state_dict']
    assert torch.equal(state['memory.feats'], official.queue)
    assert int(state['memory.ptr']) == BANK - 8
    assert int(state['memory.num_seen']) == BANK - 8

    # strictly into a model built from the config, then the same outputs
    # as the official encoders and predictor
    cfg = Config.fromfile(OFFICIAL_CONFIGS[arch])
    cfg.model.memory.size = BANK
    model = MODELS.build(cfg.model)
    model.load_state_dict(state, strict=True)
    model.eval()
    official.eval()
    x = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        trunk = _features(model.backbone, x)
        online = model.neck(model.backbone(x))[0]
        target = model.target_net.module(x)[0]
        pred = model.head.predictor([online])[0]
        fc = official.encoder_q.module.fc
        official.encoder_q.module.fc = torch.nn.Identity()
        official_trunk = official.encoder_q(x)
        official.encoder_q.module.fc = fc
        official_online = official.encoder_q(x)
        official_target = official.encoder_t(x)
        official_pred = official.predict_q(official_online)
    feat = official_trunk.shape[1]
    assert online.shape == (2, feat // 4)  # official: out = width / 4
    for ours, theirs in ((trunk, official_trunk), (online, official_online),
                         (target, official_target), (pred, official_pred)):
        assert torch.allclose(ours, theirs, atol=1e-5)


@pytest.mark.parametrize('tool', [
    'official_msf_to_mmmsf.py', 'extract_backbone_weights.py',
    'mmmsf_to_torchvision.py'
])
def test_renamed_key_fails_naming_it(tmp_path, tool):
    _msf_checkpoint(tmp_path / 'msf.pth')
    if tool == 'official_msf_to_mmmsf.py':
        state = _official_msf('resnet18').state_dict()
        state['encoder_q.module.layer1.0.conv_one.weight'] = state.pop(
            'encoder_q.module.layer1.0.conv1.weight')
        torch.save(dict(state_dict=state), tmp_path / 'in.pth')
        args = ['--config', R18_CONFIG]
        names = ('backbone.layer1.0.conv_one.weight',
                 'backbone.layer1.0.conv1.weight')
    else:
        ckpt = torch.load(tmp_path / 'msf.pth', weights_only=True)
        sd = ckpt['state_dict']
        sd['backbone.layer4.1.bn_2.bias'] = sd.pop(
            'backbone.layer4.1.bn2.bias')
        torch.save(ckpt, tmp_path / 'in.pth')
        args = ['--arch', 'resnet18'] if 'torchvision' in tool else []
        names = ('layer4.1.bn_2.bias', 'layer4.1.bn2.bias')
    proc = _run(tool, tmp_path / 'in.pth', tmp_path / 'out.pth', *args)
    assert proc.returncode != 0
    for name in names:
        assert name in proc.stderr, proc.stderr[-2000:]
    assert not (tmp_path / 'out.pth').exists()


def test_official_resnet18_refused_by_other_mlp_widths(tmp_path):
    """The widths the ResNet-18 config had before (projector
    512->4096->512) cannot take an official ResNet-18 checkpoint."""
    torch.save(dict(state_dict=_official_msf('resnet18').state_dict()),
               tmp_path / 'official.pth')
    config = tmp_path / 'wide_r18.py'
    config.write_text(
        f'_base_ = {R18_CONFIG!r}\n'
        'model = dict(neck=dict(hid_channels=4096, out_channels=512),\n'
        '             head=dict(predictor=dict(in_channels=512,\n'
        '                                      hid_channels=4096,\n'
        '                                      out_channels=512)),\n'
        '             memory=dict(dim=512))\n')
    proc = _run('official_msf_to_mmmsf.py', tmp_path / 'official.pth',
                tmp_path / 'out.pth', '--config', config)
    assert proc.returncode != 0
    assert 'shape mismatches' in proc.stderr, proc.stderr[-2000:]
    assert 'neck.fc0.weight ((1024, 512) in checkpoint, (4096, 512) in ' \
        'model)' in proc.stderr, proc.stderr[-2000:]
    assert not (tmp_path / 'out.pth').exists()
