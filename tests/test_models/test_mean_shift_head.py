# Copyright (c) mmmsf contributors. All rights reserved.
import copy

import pytest
import torch
import torch.nn.functional as F
from mmpretrain.registry import MODELS

from mmmsf.models import MeanShiftHead, MemoryBank

PREDICTOR = dict(type='NonLinearNeck',
                 in_channels=8,
                 hid_channels=16,
                 out_channels=8,
                 num_layers=2,
                 with_bias=True,
                 with_last_bn=False,
                 with_last_bias=True,
                 with_avg_pool=False,
                 norm_cfg=dict(type='BN1d'))


def _setup(k, n=6, d=8, size=40, seed=0):
    torch.manual_seed(seed)
    head = MeanShiftHead(predictor=copy.deepcopy(PREDICTOR), topk=k)
    bank = MemoryBank(size=size, dim=d)
    bank.enqueue(F.normalize(torch.randn(size - n, d), dim=1),
                 torch.randint(0, 3, (size - n, )))
    online = torch.randn(n, d)
    target = F.normalize(torch.randn(n, d), dim=1)
    labels = torch.randint(0, 3, (n, ))
    bank.enqueue(target, labels)
    return head, bank, online, target, labels


@pytest.mark.parametrize('k', [1, 3, 5])
def test_loss_equals_brute_force_formula(k):
    head, bank, online, target, labels = _setup(k)
    losses = head.loss(online, target, bank, labels)
    # brute force: every bank entry scored against the target
    pred = F.normalize(head.predictor([online])[0], dim=1)
    idx = (target @ bank.feats.t()).argsort(dim=1, descending=True)[:, :k]
    nbrs = bank.feats[idx]  # n x k x d
    ref = ((pred[:, None] - nbrs)**2).sum(-1).mean()
    assert torch.allclose(losses['loss'], ref, atol=1e-5)
    ref_purity = (bank.labels[idx] == labels[:, None]).float().mean()
    assert torch.allclose(losses['purity'], ref_purity)
    losses['loss'].backward()
    assert head.predictor.fc0.weight.grad is not None


def test_k1_equals_byol_latent_predict_head():
    """k = 1 is asymmetric BYOL: same numbers as mmpretrain's BYOL head."""
    head, bank, online, target, _ = _setup(1)
    byol_head = MODELS.build(
        dict(
            type='LatentPredictHead',
            predictor=copy.deepcopy(PREDICTOR),
            # 2 - 2 cos(pred, target), the BYOL loss of the paper
            loss=dict(type='CosineSimilarityLoss',
                      shift_factor=2.0,
                      scale_factor=2.0)))
    byol_head.predictor.load_state_dict(head.predictor.state_dict())
    ours = head.loss(online, target, bank)['loss']
    byol = byol_head.loss(online, target)
    assert torch.allclose(ours, byol, atol=1e-6)
    ours.backward()
    byol.backward()
    for p_ours, p_byol in zip(head.parameters(), byol_head.parameters()):
        assert torch.allclose(p_ours.grad, p_byol.grad, atol=1e-6)


def test_purity_absent_without_labels():
    head, bank, online, target, _ = _setup(3)
    assert set(head.loss(online, target, bank)) == {'loss'}


def test_purity_counts_label_matches():
    head = MeanShiftHead(predictor=copy.deepcopy(PREDICTOR), topk=2)
    bank = MemoryBank(size=4, dim=8)
    base = F.normalize(torch.randn(2, 8), dim=1)
    # the closest other entry of sample 0 shares its label, of 1 does not
    bank.enqueue(F.normalize(base + 1e-3, dim=1), torch.tensor([0, 0]))
    bank.enqueue(base, torch.tensor([0, 1]))
    out = head.loss(torch.randn(2, 8), base, bank, torch.tensor([0, 1]))
    assert out['purity'].item() == pytest.approx(0.75)


def test_topk_must_be_positive():
    with pytest.raises(ValueError, match='topk'):
        MeanShiftHead(predictor=copy.deepcopy(PREDICTOR), topk=0)
