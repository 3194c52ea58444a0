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


def _official_layout(model):
    """Write MSF's weights in the official code's key layout (by hand)."""
    mlp = {'fc0': '0', 'bn0': '1', 'fc1': '3'}

    def rename(prefix, key):
        layer, _, param = key.partition('.')
        return f'{prefix}.{mlp[layer]}.{param}'

    out = {}
    for k, v in model.state_dict().items():
        if k.startswith('backbone.'):
            out['encoder_q.module.' + k[9:]] = v
        elif k.startswith('neck.'):
            out[rename('encoder_q.module.fc', k[5:])] = v
        elif k.startswith('target_net.module.0.'):
            out['encoder_t.module.' + k[20:]] = v
        elif k.startswith('target_net.module.1.'):
            out[rename('encoder_t.module.fc', k[20:])] = v
        elif k.startswith('head.predictor.'):
            out[rename('predict_q.module', k[15:])] = v
    out['queue'] = model.memory.feats.clone()
    out['labels'] = torch.arange(BANK) % 10
    out['queue_ptr'] = torch.tensor([8])
    return out


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


def test_official_import_round_trip(tmp_path):
    model = _msf_checkpoint(tmp_path / 'msf.pth')
    official = _official_layout(model)
    torch.save(
        dict(opt=argparse.Namespace(arch='resnet18', topk=10),
             state_dict=official,
             epoch=200), tmp_path / 'official.pth')
    proc = _run('official_msf_to_mmmsf.py', tmp_path / 'official.pth',
                tmp_path / 'imported.pth', '--config', R18_CONFIG)
    assert proc.returncode == 0, proc.stderr[-2000:]
    imported = torch.load(tmp_path / 'imported.pth', weights_only=True)
    state = imported['state_dict']
    for k, v in model.state_dict().items():
        if k.startswith('memory.') or k == 'target_net.steps':
            continue
        assert torch.equal(state[k], v), k
    assert torch.equal(state['memory.feats'], official['queue'])
    assert int(state['memory.ptr']) == 8
    assert int(state['memory.num_seen']) == BANK

    # official -> mmmsf -> torchvision: same features as the official
    # encoder_q trunk loaded into torchvision directly
    proc = _run('mmmsf_to_torchvision.py', tmp_path / 'imported.pth',
                tmp_path / 'tv.pth', '--arch', 'resnet18')
    assert proc.returncode == 0, proc.stderr[-2000:]
    direct = torchvision.models.resnet18()
    direct.fc = torch.nn.Identity()
    direct.load_state_dict({
        k[len('encoder_q.module.'):]: v
        for k, v in official.items()
        if k.startswith('encoder_q.module.') and '.fc.' not in k
    })
    exported = torchvision.models.resnet18()
    exported.fc = torch.nn.Identity()
    exported.load_state_dict(torch.load(tmp_path / 'tv.pth',
                                        weights_only=True))
    x = torch.randn(2, 3, 64, 64)
    assert torch.allclose(_features(direct, x), _features(exported, x))


@pytest.mark.parametrize('tool', [
    'official_msf_to_mmmsf.py', 'extract_backbone_weights.py',
    'mmmsf_to_torchvision.py'
])
def test_renamed_key_fails_naming_it(tmp_path, tool):
    model = _msf_checkpoint(tmp_path / 'msf.pth')
    if tool == 'official_msf_to_mmmsf.py':
        state = _official_layout(model)
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
