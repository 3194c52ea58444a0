# Copyright (c) mmmsf contributors. All rights reserved.
import copy

import pytest
import torch
import torch.nn.functional as F
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample

from mmmsf.models import MSF

MODEL = dict(type='MSF',
             momentum=0.01,
             data_preprocessor=dict(type='SelfSupDataPreprocessor',
                                    mean=[127.5, 127.5, 127.5],
                                    std=[64.0, 64.0, 64.0]),
             backbone=dict(type='ResNet', depth=18, norm_cfg=dict(type='BN')),
             neck=dict(type='NonLinearNeck',
                       in_channels=512,
                       hid_channels=32,
                       out_channels=16,
                       with_bias=True,
                       with_last_bn=False,
                       with_last_bias=True,
                       norm_cfg=dict(type='BN1d')),
             head=dict(type='MeanShiftHead',
                       topk=3,
                       predictor=dict(type='NonLinearNeck',
                                      in_channels=16,
                                      hid_channels=32,
                                      out_channels=16,
                                      with_bias=True,
                                      with_last_bn=False,
                                      with_last_bias=True,
                                      with_avg_pool=False,
                                      norm_cfg=dict(type='BN1d'))),
             memory=dict(type='MemoryBank', size=32, dim=16))


def _cfg(**changes):
    cfg = copy.deepcopy(MODEL)
    for key, value in changes.items():
        node = cfg
        *path, last = key.split('.')
        for p in path:
            node = node[p]
        node[last] = value
    return cfg


def _batch(n=4, labels=True):
    inputs = [torch.randint(0, 256, (n, 3, 32, 32)).float() for _ in (0, 1)]
    samples = [
        DataSample().set_gt_label(i % 2) if labels else DataSample()
        for i in range(n)
    ]
    return inputs, samples


def test_loss_step_fills_bank_and_is_finite():
    model = MODELS.build(_cfg())
    assert isinstance(model, MSF)
    inputs, samples = _batch()
    losses = model(inputs, samples, mode='loss')
    assert set(losses) == {'loss', 'purity'}
    assert torch.isfinite(losses['loss']) and 0 < losses['loss'] < 4
    assert int(model.memory.ptr) == 4
    assert model.memory.labels[:4].tolist() == [0, 1, 0, 1]
    # own first neighbour => purity >= 1/k
    assert losses['purity'] >= 1 / 3
    losses['loss'].backward()
    assert model.backbone.conv1.weight.grad is not None
    assert all(p.grad is None for p in model.target_net.parameters())


def test_unlabelled_data_trains_without_purity():
    model = MODELS.build(_cfg())
    inputs, samples = _batch(labels=False)
    losses = model(inputs, samples, mode='loss')
    assert set(losses) == {'loss'}
    assert (model.memory.labels == -1).all()


def test_target_is_ema_with_paper_momentum():
    model = MODELS.build(_cfg())
    inputs, samples = _batch()
    model(inputs, samples, mode='loss')  # first update copies the weights
    online = model.neck.fc0.weight
    target = model.target_net.module[1].fc0.weight
    assert torch.equal(online, target)
    with torch.no_grad():
        before = target.clone()
        online.add_(1.0)
    model(inputs, samples, mode='loss')
    # target <- 0.99 target + 0.01 online  (paper m = 0.99)
    assert torch.allclose(target, 0.99 * before + 0.01 * online, atol=1e-6)


def test_tensor_mode_returns_backbone_features():
    model = MODELS.build(_cfg())
    model.eval()
    feats = model(torch.randn(2, 3, 32, 32), mode='tensor')
    assert feats[-1].shape == (2, 512, 1, 1)


def test_k1_target_is_the_only_neighbour():
    model = MODELS.build(_cfg(**{'head.topk': 1}))
    inputs, samples = _batch()
    assert model(inputs, samples, mode='loss')['purity'] == 1.0


@pytest.mark.parametrize('changes, match', [({
    'head.topk': 33
}, 'topk'), ({
    'memory.dim': 8
}, 'memory.dim'), ({
    'head.topk': 0
}, 'topk'), ({
    'momentum': 0.0
}, 'momentum')])
def test_bad_settings_fail_at_build(changes, match):
    with pytest.raises(ValueError, match=match):
        MODELS.build(_cfg(**changes))


def test_wrong_number_of_views():
    model = MODELS.build(_cfg())
    inputs, samples = _batch()
    with pytest.raises(ValueError, match='exactly 2 views'):
        model(inputs + inputs[:1], samples, mode='loss')


def test_batch_larger_than_bank_fails_clearly():
    model = MODELS.build(_cfg(**{'memory.size': 4}))
    inputs, samples = _batch(n=6)
    with pytest.raises(ValueError, match='global batch'):
        model(inputs, samples, mode='loss')


@pytest.mark.parametrize('bank_dtype', ['float32', 'float16', 'bfloat16'])
def test_mixed_precision_step(bank_dtype):
    """AMP end to end at the model level (CPU autocast runs bfloat16):
    the bank search and the loss stay float32, the bank stores unit-norm
    targets in its own dtype, each target is still its own first neighbour,
    and gradients reach the float32 weights."""
    torch.manual_seed(0)
    model = MODELS.build(_cfg(**{'memory.dtype': bank_dtype}))
    n = 4
    inputs, _ = _batch(n)
    samples = [DataSample().set_gt_label(i) for i in range(n)]  # unique
    with torch.autocast('cpu', dtype=torch.bfloat16):
        losses = model(inputs, samples, mode='loss')
        # the search inside an AMP region equals the float32 search
        query = F.normalize(torch.randn(6, 16), dim=1)
        sims, nbrs, _ = model.memory.knn(query, 3)
    assert sims.dtype == nbrs.dtype == torch.float32
    exact = query.double() @ model.memory.feats.double().t()
    assert torch.allclose(sims.double(),
                          exact.topk(3, dim=1).values,
                          atol=1e-6)
    assert losses['loss'].dtype == torch.float32
    assert torch.isfinite(losses['loss']) and 0 < losses['loss'] < 4
    # only the sample itself carries its label among its k=3 neighbours
    assert float(losses['purity']) == pytest.approx(1 / 3)
    stored = model.memory.feats[:n]
    assert stored.dtype == getattr(torch, bank_dtype)
    assert torch.allclose(stored.float().norm(dim=1), torch.ones(n), atol=1e-2)
    losses['loss'].backward()
    grad = model.backbone.conv1.weight.grad
    assert grad is not None and grad.dtype == torch.float32
    assert torch.isfinite(grad).all() and grad.abs().sum() > 0
