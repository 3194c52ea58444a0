# Copyright (c) mmmsf contributors. All rights reserved.
"""Converters: backbone extraction, torchvision export, official import."""
import argparse
import json
import os.path as osp
import subprocess
import sys

import pytest
import torch
import torchvision
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmengine.runner import Runner
from mmpretrain.registry import MODELS

from mmmsf.checkpoint.model_converters import official_options_mismatches

sys.path.insert(0, osp.dirname(osp.dirname(__file__)))
from conftest import REPO_ROOT, run_launcher  # noqa: E402
from eval_helpers import KNN_SCRIPT, LINEAR_SCRIPT  # noqa: E402
from tiny_imagenet import make_tiny_imagenet  # noqa: E402

R18_CONFIG = osp.join(REPO_ROOT, 'configs', 'msf',
                      'msf_resnet18_8xb32-coslr-200e_in1k.py')
# the released official ResNet-50 (k = 10, bank 1,024,000)
RELEASED_CONFIG = osp.join(REPO_ROOT, 'configs', 'msf',
                           'msf_resnet50-k10_8xb32-coslr-200e_in1k.py')
# the config each official architecture imports into
OFFICIAL_CONFIGS = {'resnet18': R18_CONFIG, 'resnet50': RELEASED_CONFIG}
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
def _official_trunk(official, x):
    """Pooled features of the official online ResNet (without its MLP)."""
    fc = official.encoder_q.module.fc
    official.encoder_q.module.fc = torch.nn.Identity()
    try:
        return official.encoder_q(x)
    finally:
        official.encoder_q.module.fc = fc


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


def _official_options(config, **changes):
    """The ``opt`` the official train_msf.py saves, for ``config``."""
    cfg = Config.fromfile(config).model
    opt = dict(arch=f'resnet{cfg.backbone.depth}',
               topk=cfg.head.topk,
               mem_bank_size=cfg.memory.size,
               momentum=0.99,
               augmentation='weak/strong',
               epochs=200)
    opt.update(changes)
    return argparse.Namespace(**opt)


@pytest.fixture(scope='module')
def official_import(tmp_path_factory):
    """``import_(arch)``: an official-layout checkpoint of ``arch`` and
    its import into ``OFFICIAL_CONFIGS[arch]``, made once per module."""
    done = {}

    def import_(arch):
        if arch not in done:
            tmp_path = tmp_path_factory.mktemp(arch)
            official = _official_msf(arch)
            torch.save(
                dict(opt=_official_options(OFFICIAL_CONFIGS[arch]),
                     state_dict=official.state_dict(),
                     epoch=200), tmp_path / 'official.pth')
            proc = _run('official_msf_to_mmmsf.py', tmp_path / 'official.pth',
                        tmp_path / 'imported.pth', '--config',
                        OFFICIAL_CONFIGS[arch])
            assert proc.returncode == 0, proc.stderr[-2000:]
            done[arch] = official, tmp_path / 'imported.pth'
        return done[arch]

    return import_


@pytest.mark.parametrize('arch', sorted(OFFICIAL_CONFIGS))
def test_official_import_round_trip(official_import, arch):
    """An official-layout checkpoint imports strictly into the config of
    its architecture and computes what the official modules compute."""
    official, imported = official_import(arch)
    state = torch.load(imported, weights_only=True)['state_dict']
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
        official_trunk = _official_trunk(official, x)
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


def test_official_options_must_match_the_config(tmp_path):
    """A checkpoint trained with other options than the config (here k = 5
    and s/s views into the k = 10, w/s ResNet-18 config) is refused, naming
    them; --ignore-options imports the weights anyway."""
    torch.save(
        dict(opt=_official_options(R18_CONFIG,
                                   topk=5,
                                   augmentation='strong/strong'),
             state_dict=_official_msf('resnet18').state_dict()),
        tmp_path / 'official.pth')
    args = [tmp_path / 'official.pth', tmp_path / 'out.pth', '--config']
    proc = _run('official_msf_to_mmmsf.py', *args, R18_CONFIG)
    assert proc.returncode != 0
    assert ("topk: 5 in the checkpoint, 10 in the config; augmentation: "
            "'s/s' in the checkpoint, 'w/s' in the config") in proc.stderr
    assert not (tmp_path / 'out.pth').exists()
    proc = _run('official_msf_to_mmmsf.py', *args, R18_CONFIG,
                '--ignore-options')
    assert proc.returncode == 0, proc.stderr[-2000:]


def _bash(script, args, cwd):
    return run_launcher(script, args, cwd, timeout=600)


def test_released_model_sequence_end_to_end(official_import, tmp_path):
    """docs/reproduce.md's sequence for the released model on a tiny
    ImageNet-layout folder: official checkpoint -> official_msf_to_mmmsf.py
    (the k = 10 config) -> knn_eval.sh and linear_eval.sh. The k-NN
    features are those of the official online ResNet-50."""
    official, imported = official_import('resnet50')
    data_root = tmp_path / 'imagenet'
    make_tiny_imagenet(str(data_root), num_train=3, num_val=1)
    knn_data = tmp_path / 'knn_data.py'
    loader = dict(batch_size=4,
                  num_workers=0,
                  dataset=dict(data_root=str(data_root)))
    knn_base = osp.join(REPO_ROOT, 'configs', 'benchmarks', 'knn',
                        'imagenet_knn.py')
    knn_data.write_text(f'_base_ = {knn_base!r}\n'
                        f'knn_reference_dataloader = {loader!r}\n'
                        f'knn_query_dataloader = {loader!r}\n')
    log = _bash(KNN_SCRIPT, [
        RELEASED_CONFIG, imported, 1, '--data-config', knn_data,
        '--cfg-options', 'model.memory.size=64'
    ], tmp_path)
    work_dir = (tmp_path / 'work_dirs' / 'knn' /
                'msf_resnet50-k10_8xb32-coslr-200e_in1k' / 'imported')
    result = json.loads((work_dir / 'knn_metrics.json').read_text())
    assert (result['num_train'], result['num_val']) == (12, 4)
    assert {'knn_1nn', 'weighted_k10_top1'} <= set(result['metrics'])
    assert 'Loaded 318 tensors' in log, log[-3000:]

    # the cached features = the official encoder's, normalised
    feats = torch.load(next(work_dir.glob('features_*.pth')),
                       weights_only=True)
    init_default_scope('mmpretrain')
    cfg = Config.fromfile(knn_data)
    msf = Config.fromfile(RELEASED_CONFIG).model.data_preprocessor
    preprocessor = MODELS.build(msf)
    loader = Runner.build_dataloader(cfg.knn_query_dataloader)
    expected = []
    for data in loader:
        inputs = preprocessor(data, False)['inputs']
        expected.append(
            torch.nn.functional.normalize(_official_trunk(official, inputs),
                                          dim=1))
    assert torch.allclose(feats['val_feats'], torch.cat(expected), atol=1e-4)
    assert feats['val_labels'].tolist() == [0, 1, 2, 3]

    # the MSF linear protocol on the converted backbone
    linear = osp.join(REPO_ROOT, 'configs', 'benchmarks', 'classification',
                      'resnet50_msf-linear-8xb32-steplr-40e_in1k.py')
    options = ['train_cfg.max_epochs=1']
    for split in ('train', 'val'):
        options += [
            f'{split}_dataloader.dataset.data_root={data_root}',
            f'{split}_dataloader.batch_size=4',
            f'{split}_dataloader.num_workers=0',
            f'{split}_dataloader.persistent_workers=False'
        ]
    log = _bash(LINEAR_SCRIPT, [linear, imported, 1] + options, tmp_path)
    assert 'Loaded 318 tensors' in log
    assert 'statistics of 12 training samples' in log
    assert 'accuracy/top1' in log and 'accuracy/top5' in log


@pytest.mark.parametrize(
    'config, opt',
    [
        # the released ResNet-50 (official README)
        (RELEASED_CONFIG, dict(arch='resnet50', topk=10, mem_bank_size=1024000)
         ),
        # the official README's training command with --arch resnet18
        (R18_CONFIG, dict(arch='resnet18', topk=10, mem_bank_size=128000)),
    ])
def test_configs_match_the_official_runs(config, opt):
    opt = argparse.Namespace(momentum=0.99, augmentation='weak/strong', **opt)
    assert official_options_mismatches(opt, Config.fromfile(config)) == []
    opt.topk = 5
    assert official_options_mismatches(opt, Config.fromfile(config)) == [
        'topk: 5 in the checkpoint, 10 in the config'
    ]
