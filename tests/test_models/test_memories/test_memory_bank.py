# Copyright (c) mmmsf contributors. All rights reserved.
import pytest
import torch
import torch.nn.functional as F

from mmmsf.models import MemoryBank


def _unit(n, d, seed=0):
    g = torch.Generator().manual_seed(seed)
    return F.normalize(torch.randn(n, d, generator=g), dim=1)


def test_bank_is_persistent_state():
    bank = MemoryBank(size=16, dim=4)
    keys = set(bank.state_dict())
    assert keys == {'feats', 'labels', 'ptr', 'num_seen'}
    # starts as random unit vectors with unknown labels
    assert torch.allclose(bank.feats.norm(dim=1), torch.ones(16))
    assert (bank.labels == -1).all() and int(bank.ptr) == 0
    assert bank.fill_ratio == 0


def test_enqueue_then_each_target_is_its_own_first_neighbour():
    bank = MemoryBank(size=64, dim=8)
    bank.enqueue(_unit(48, 8, seed=1))  # unrelated history
    target = _unit(8, 8, seed=2)
    assert not (bank.knn(target, 1)[1][:, 0] == target).all(dim=1).all()
    bank.enqueue(target, torch.arange(8))
    sims, feats, labels = bank.knn(target, 3)
    assert torch.allclose(sims[:, 0], torch.ones(8), atol=1e-6)
    assert torch.equal(feats[:, 0], target)
    assert torch.equal(labels[:, 0], torch.arange(8))
    assert (sims[:, :-1] >= sims[:, 1:]).all()  # descending


def test_wrap_around_and_fill_ratio():
    bank = MemoryBank(size=10, dim=4)
    first = _unit(6, 4, seed=3)
    second = _unit(6, 4, seed=4)
    bank.enqueue(first, torch.full((6, ), 1))
    assert int(bank.ptr) == 6 and bank.fill_ratio == 0.6
    bank.enqueue(second, torch.full((6, ), 2))
    # 4 entries at the end, then 2 wrapped to the start
    assert int(bank.ptr) == 2 and bank.fill_ratio == 1.0
    assert torch.equal(bank.feats[6:10], second[:4])
    assert torch.equal(bank.feats[0:2], second[4:])
    assert torch.equal(bank.feats[2:6], first[2:])
    assert bank.labels.tolist() == [2, 2, 1, 1, 1, 1, 2, 2, 2, 2]
    assert int(bank.num_seen) == 12


def test_unlabelled_entries_are_minus_one():
    bank = MemoryBank(size=8, dim=4)
    bank.enqueue(_unit(3, 4))
    assert bank.labels[:3].tolist() == [-1, -1, -1]


@pytest.mark.parametrize('chunk_size', [1, 7, 16, 100])
def test_chunked_search_equals_full_search(chunk_size):
    bank = MemoryBank(size=50, dim=6, chunk_size=chunk_size)
    bank.enqueue(_unit(50, 6, seed=5))
    query = _unit(9, 6, seed=6)
    sims, feats, _ = bank.knn(query, 5)
    full = query @ bank.feats.t()
    ref_sims, ref_idx = full.topk(5, dim=1)
    assert torch.allclose(sims, ref_sims, atol=1e-6)
    assert torch.equal(feats, bank.feats[ref_idx])


@pytest.mark.parametrize('dtype', ['float16', 'bfloat16'])
def test_low_precision_storage_finds_same_neighbours(dtype):
    bank = MemoryBank(size=200, dim=16, dtype=dtype)
    data = _unit(200, 16, seed=7)
    bank.enqueue(data)
    query = data[:20] + 0.01 * _unit(20, 16, seed=8)
    _, feats, _ = bank.knn(F.normalize(query, dim=1), 1)
    assert feats.dtype == torch.float32
    assert torch.allclose(feats[:, 0], data[:20], atol=1e-2)


def test_errors_name_the_problem():
    with pytest.raises(ValueError, match='size'):
        MemoryBank(size=0, dim=4)
    with pytest.raises(ValueError, match='dtype'):
        MemoryBank(size=8, dim=4, dtype='int8')
    bank = MemoryBank(size=8, dim=4)
    with pytest.raises(ValueError, match='global batch'):
        bank.enqueue(_unit(9, 4))
    with pytest.raises(ValueError, match=r'\(N, 4\)'):
        bank.enqueue(_unit(2, 5))
    with pytest.raises(ValueError, match='k=9'):
        bank.knn(_unit(2, 4), 9)
