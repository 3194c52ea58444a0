# Copyright (c) mmmsf contributors. All rights reserved.
import copy

import pytest
import torch
import torch.nn.functional as F
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample

from mmmsf.models import CO2, CO2Head

BACKBONE = dict(type='ResNet_CIFAR',
                depth=18,
                stem_channels=8,
                base_channels=8,
                norm_cfg=dict(type='BN'))
NECK = dict(type='MoCoV2Neck',
            in_channels=64,
            hid_channels=32,
            out_channels=16,
            with_avg_pool=True)
MODEL = dict(type='CO2',
             momentum=0.01,
             backbone=BACKBONE,
             neck=NECK,
             head=dict(type='CO2Head',
                       temperature=0.2,
                       alpha=10.0,
                       consistency_temperature=0.04),
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
    inputs = [torch.randn(n, 3, 32, 32) for _ in (0, 1)]
    samples = [
        DataSample().set_gt_label(i % 2) if labels else DataSample()
        for i in range(n)
    ]
    return inputs, samples


def _paper_consistency(q, p, negatives, tau):
    """L_con of the paper, written out in float64: P and Q over the K
    negatives only, symmetric KL, batch mean; P is a constant."""
    q, p, negatives = q.double(), p.detach().double(), negatives.double()
    q_prob = torch.exp(q @ negatives.t() / tau)
    q_prob = q_prob / q_prob.sum(dim=1, keepdim=True)  # Q: N x K
    p_prob = torch.exp(p @ negatives.t() / tau)
    p_prob = p_prob / p_prob.sum(dim=1, keepdim=True)  # P: N x K
    kl_pq = (p_prob * torch.log(p_prob / q_prob)).sum(dim=1)
    kl_qp = (q_prob * torch.log(q_prob / p_prob)).sum(dim=1)
    return (0.5 * kl_pq + 0.5 * kl_qp).mean()


def _vectors(n=6, k=40, d=16):
    q = F.normalize(torch.randn(n, d), dim=1)
    p = F.normalize(q + 0.5 * torch.randn(n, d), dim=1)  # a nearby positive
    queue = F.normalize(torch.randn(k, d), dim=1)
    return q, p, queue


def test_consistency_is_the_papers_term_with_gradient_through_q_only():
    q, p, queue = _vectors()
    q.requires_grad_(True)
    p.requires_grad_(True)
    head = CO2Head(consistency_temperature=0.1)
    got = head.consistency(q, p, queue)
    want = _paper_consistency(q, p, queue, 0.1)
    assert torch.allclose(got.double(), want, atol=1e-6)
    assert got > 0
    got.backward()
    assert p.grad is None  # the pseudo label P carries no gradient
    grad = q.grad.clone()
    q.grad = None
    want.backward()
    assert torch.allclose(grad, q.grad, atol=1e-6)
    # equal distributions: no penalty
    assert head.consistency(p.detach(), p.detach(), queue).abs() < 1e-6


def test_consistency_equals_lightly_co2_regularizer():
    """lightly's CO2Regularizer (a test-only oracle) runs P and Q over
    [positive, negatives]: our ``include_positive=True`` variant. The paper
    (and our default) leaves the positive out, so the two differ."""
    from lightly.loss.regularizer import CO2Regularizer
    q, p, queue = _vectors(n=8, k=64)
    for tau in (0.05, 0.5):
        oracle = CO2Regularizer(alpha=1.0,
                                t_consistency=tau,
                                memory_bank_size=(64, 16))
        oracle.memory_bank.bank = queue.clone()  # negatives = our queue
        with pytest.warns(UserWarning):  # it re-wraps its result
            want = oracle(q, p)
        head = CO2Head(consistency_temperature=tau, include_positive=True)
        got = head.consistency(q, p, queue)
        assert torch.allclose(got, want, rtol=1e-5, atol=1e-7), (got, want)
        paper = CO2Head(consistency_temperature=tau).consistency(q, p, queue)
        assert not torch.allclose(paper, want, rtol=1e-3)


def test_alpha_zero_is_mmpretrain_mocov2_on_the_same_weights_and_queue():
    torch.manual_seed(0)
    co2 = MODELS.build(_cfg(**{'head.alpha': 0.0}))
    moco = MODELS.build(
        dict(type='MoCo',
             queue_len=32,
             feat_dim=16,
             momentum=0.01,
             backbone=BACKBONE,
             neck=NECK,
             head=dict(type='ContrastiveHead',
                       loss=dict(type='CrossEntropyLoss'),
                       temperature=0.2)))
    moco.backbone.load_state_dict(co2.backbone.state_dict())
    moco.neck.load_state_dict(co2.neck.state_dict())
    moco.encoder_k.load_state_dict(co2.target_net.state_dict())
    with torch.no_grad():
        moco.queue.copy_(co2.memory.feats.t())  # D x K there, K x D here
    co2.train()
    moco.train()
    for step in range(3):
        inputs, samples = _batch()
        got = co2.loss([x.clone() for x in inputs], samples)
        want = moco.loss(inputs, samples)['loss']
        assert torch.allclose(got['loss'], want, atol=1e-5), step
        assert torch.allclose(got['infonce'], want, atol=1e-5)
        # the keys joined the queue after the loss, at the same place
        assert torch.allclose(co2.memory.feats.t(), moco.queue, atol=1e-5)
        assert int(co2.memory.ptr) == int(moco.queue_ptr) == 4 * (step + 1)


def test_loss_step_scores_old_queue_then_enqueues_keys():
    model = MODELS.build(_cfg())
    model.train()
    inputs, samples = _batch()
    before = model.memory.feats.clone()
    losses = model.loss(inputs, samples)
    assert [k for k in losses if 'loss' in k] == ['loss']
    assert set(losses) == {
        'loss', 'infonce', 'consistency', 'pseudo_label_purity'
    }
    assert torch.allclose(losses['loss'],
                          losses['infonce'] + 10.0 * losses['consistency'])
    assert losses['loss'].requires_grad
    assert torch.isfinite(losses['loss'])
    assert int(model.memory.num_seen) == 4 and int(model.memory.ptr) == 4
    assert model.memory.labels[:4].tolist() == [0, 1, 0, 1]
    assert torch.equal(model.memory.feats[4:], before[4:])
    # the new entries are the keys: unit vectors from the target network
    assert torch.allclose(model.memory.feats[:4].norm(dim=1),
                          torch.ones(4),
                          atol=1e-5)
    losses['loss'].backward()  # the in-place enqueue left autograd intact
    assert model.backbone.conv1.weight.grad is not None
    # unlabelled data: no purity monitor
    assert 'pseudo_label_purity' not in model.loss(*_batch(labels=False))


def test_float16_bank_gives_nearly_the_float32_loss():
    torch.manual_seed(0)
    full = MODELS.build(_cfg())
    half = MODELS.build(_cfg(**{'memory.dtype': 'float16'}))
    state = full.state_dict()
    # the same queue rows, stored in float16 (a plain load refuses another
    # bank dtype, so cast explicitly)
    state['memory.feats'] = state['memory.feats'].half()
    half.load_state_dict(state)
    assert half.memory.feats.dtype == torch.float16
    inputs, samples = _batch()
    want = full.loss([x.clone() for x in inputs], samples)['loss']
    got = half.loss(inputs, samples)['loss']
    assert got.dtype == torch.float32
    assert torch.allclose(got, want, rtol=1e-2)


@pytest.mark.parametrize('changes, match', [
    ({
        'memory': dict(type='ShardedMemoryBank', size=32, dim=16)
    }, 'ShardedMemoryBank` holds only a shard'),
    ({
        'memory.dim': 8
    }, 'outputs 16-d embeddings but the memory bank stores 8-d'),
    ({
        'head.alpha': -1.0
    }, '`alpha`'),
    ({
        'momentum': 0.999
    }, None),
    ({
        'momentum': 0.0
    }, r"m = 0.999 is momentum=0.001"),
])
def test_bad_settings_fail_at_build_time(changes, match):
    if match is None:  # an unusual but valid EMA weight builds
        assert isinstance(MODELS.build(_cfg(**changes)), CO2)
        return
    with pytest.raises(ValueError, match=match):
        MODELS.build(_cfg(**changes))


def test_three_views_fail_with_a_clear_error():
    model = MODELS.build(_cfg())
    inputs, samples = _batch()
    with pytest.raises(ValueError, match='exactly 2 views.*MultiView'):
        model.loss(inputs + inputs[:1], samples)
