# Copyright (c) mmmsf contributors. All rights reserved.
"""Strict, loud backbone loading shared by every evaluation path."""
import pickle

import pytest
import torch
from eval_helpers import RENAMED, save_msf_checkpoint, save_renamed_checkpoint
from mmengine.registry import init_default_scope
from mmpretrain.registry import MODELS

from mmmsf.checkpoint import backbone as checkpoint_backbone
from mmmsf.checkpoint import backbone_state_dict, load_backbone_checkpoint

BACKBONE = dict(type='ResNet_CIFAR',
                depth=18,
                stem_channels=16,
                base_channels=16)


def _backbone(seed=1):
    init_default_scope('mmpretrain')
    torch.manual_seed(seed)
    model = MODELS.build(BACKBONE)
    model.init_weights()
    return model


def _assert_equal(module, state_dict, prefix=''):
    for k, v in module.state_dict().items():
        assert torch.equal(v, state_dict[prefix + k]), k


@pytest.fixture
def msf_ckpt(tmp_path):
    path = str(tmp_path / 'msf.pth')
    return path, save_msf_checkpoint(path)


def test_msf_checkpoint_online_and_momentum_backbone(msf_ckpt, monkeypatch):
    path, state = msf_ckpt
    logged = []
    monkeypatch.setattr(checkpoint_backbone, 'print_log',
                        lambda msg, **kw: logged.append(msg))
    backbone = _backbone()
    num = load_backbone_checkpoint(backbone, path)
    assert num == len(backbone.state_dict()) == 120
    _assert_equal(backbone, state, 'backbone.')
    assert path in logged[0] and '120 tensors' in logged[0]
    # the EMA copy of MSF / BYOL
    target = _backbone(seed=2)
    load_backbone_checkpoint(target, path, prefix='target_net.module.0.')
    _assert_equal(target, state, 'target_net.module.0.')


def test_plain_and_ddp_state_dicts(tmp_path):
    src = _backbone(seed=3)
    torch.save(src.state_dict(), tmp_path / 'plain.pth')
    torch.save({
        f'module.{k}': v
        for k, v in src.state_dict().items()
    }, tmp_path / 'ddp.pth')
    for name in ('plain.pth', 'ddp.pth'):
        dst = _backbone()
        load_backbone_checkpoint(dst, str(tmp_path / name))
        _assert_equal(dst, src.state_dict())


def test_mmpretrain_byol_checkpoint(tmp_path):
    init_default_scope('mmpretrain')
    byol = MODELS.build(
        dict(type='BYOL',
             backbone=BACKBONE,
             neck=dict(type='NonLinearNeck',
                       in_channels=128,
                       hid_channels=32,
                       out_channels=16,
                       with_avg_pool=True),
             head=dict(type='LatentPredictHead',
                       loss=dict(type='CosineSimilarityLoss'),
                       predictor=dict(type='NonLinearNeck',
                                      in_channels=16,
                                      hid_channels=32,
                                      out_channels=16,
                                      with_avg_pool=False))))
    torch.save(dict(state_dict=byol.state_dict()), tmp_path / 'byol.pth')
    dst = _backbone()
    assert load_backbone_checkpoint(dst, str(tmp_path / 'byol.pth')) == 120
    _assert_equal(dst, byol.backbone.state_dict())


def test_renamed_keys_refused_with_names(msf_ckpt, tmp_path):
    path, _ = msf_ckpt
    renamed = str(tmp_path / 'renamed.pth')
    save_renamed_checkpoint(path, renamed)
    backbone = _backbone()
    before = {k: v.clone() for k, v in backbone.state_dict().items()}
    with pytest.raises(RuntimeError) as err:
        load_backbone_checkpoint(backbone, renamed)
    msg = str(err.value)
    assert RENAMED[0][len('backbone.'):] in msg  # missing
    assert RENAMED[1][len('backbone.'):] in msg  # unexpected
    assert renamed in msg
    _assert_equal(backbone, before)  # nothing was loaded


def test_wrong_architecture_and_prefix_refused(tmp_path):
    init_default_scope('mmpretrain')
    wide = MODELS.build(dict(BACKBONE, base_channels=32, stem_channels=32))
    torch.save(
        dict(state_dict={
            f'backbone.{k}': v
            for k, v in wide.state_dict().items()
        }), tmp_path / 'wide.pth')
    with pytest.raises(RuntimeError, match='shape mismatches.*conv1.weight'):
        load_backbone_checkpoint(_backbone(), str(tmp_path / 'wide.pth'))
    # a prefix the checkpoint lacks: the keys are taken as they are
    torch.save(
        dict(state_dict={
            f'encoder.{k}': v
            for k, v in _backbone().state_dict().items()
        }), tmp_path / 'encoder.pth')
    with pytest.raises(RuntimeError, match="'encoder.conv1.weight'"):
        load_backbone_checkpoint(_backbone(), str(tmp_path / 'encoder.pth'))


def test_unsafe_pickle_refused(tmp_path):
    torch.save(dict(state_dict={}, evil=pickle.Pickler), tmp_path / 'x.pth')
    with pytest.raises(pickle.UnpicklingError):
        backbone_state_dict(str(tmp_path / 'x.pth'))
