# Copyright (c) mmmsf contributors. All rights reserved.
"""Chunked, low-precision and sharded bank searches against brute force.

Tolerance: similarities and losses agree with a float64 brute force within
``1e-5`` (float32 accumulation); the selected neighbours are the brute-force
ones, where exact ties (duplicated entries) may swap equal embeddings.
"""
import socket

import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp
import torch.nn.functional as F

from mmmsf.models.memories import MemoryBank, ShardedMemoryBank

ATOL = 1e-5


def _data(size: int, dim: int, seed: int = 0):
    """Unit bank rows with exact duplicates across chunk borders."""
    gen = torch.Generator().manual_seed(seed)
    feats = F.normalize(torch.randn(size, dim, generator=gen), dim=1)
    # duplicates straddling the borders of chunks of 7 and of shards
    for src, dst in ((6, 7), (13, 14), (size // 2 - 1, size // 2)):
        feats[dst] = feats[src]
    query = feats[[6, 13, 0, 20]].clone()  # queries with tied neighbours
    extra = F.normalize(torch.randn(4, dim, generator=gen), dim=1)
    return feats, torch.cat([query, extra])


def _brute_force(query, bank, k):
    """Reference top-k by a float64 full distance matrix."""
    sims = query.double() @ bank.double().t()  # N x S
    return sims.topk(k, dim=1)


def _mean_shift_loss(pred, nbrs):
    """The loss of MeanShiftHead: mean of 2 - 2 q^T b over the k nbrs."""
    return (2 - 2 * torch.einsum('nd,nkd->nk', pred, nbrs)).mean()


def _check(bank, feats, query, k, stored):
    """Compare ``bank.knn`` with brute force over the stored embeddings."""
    sims, nbrs, labels = bank.knn(query, k)
    ref_sims, ref_idx = _brute_force(query, stored, k)
    assert torch.allclose(sims.double(), ref_sims, atol=ATOL)
    # the labels are the bank positions: each returned entry is stored
    # there, and its exact similarity is one of the brute-force top-k
    assert torch.equal(nbrs, stored[labels].float())
    got = (query.double().unsqueeze(1) @ stored[labels].double().transpose(
        1, 2)).squeeze(1)
    assert torch.allclose(got, ref_sims, atol=ATOL)
    pred = F.normalize(query + 0.1, dim=1)
    loss = _mean_shift_loss(pred, nbrs)
    ref = _mean_shift_loss(pred, stored[ref_idx].float())
    assert abs(float(loss) - float(ref)) < ATOL


@pytest.mark.parametrize('chunk_size', [1, 7, 16, 64])
@pytest.mark.parametrize('dtype', ['float32', 'float16', 'bfloat16'])
def test_chunked_search_matches_brute_force(chunk_size, dtype):
    size, dim, k = 30, 8, 5  # 30 is not divisible by 7 or 16
    feats, query = _data(size, dim)
    bank = MemoryBank(size=size, dim=dim, chunk_size=chunk_size, dtype=dtype)
    bank.enqueue(feats, torch.arange(size))
    _check(bank, feats, query, k, bank.feats)
    # a tied pair sits across a chunk border: both copies are returned
    sims, _, labels = bank.knn(feats[6:7], 2)
    assert sorted(labels[0].tolist()) == [6, 7]
    assert float(sims[0, 0]) == float(sims[0, 1])


def test_single_process_sharded_is_memory_bank():
    torch.manual_seed(3)
    bank = MemoryBank(size=20, dim=4, chunk_size=3)
    torch.manual_seed(3)
    sharded = ShardedMemoryBank(size=20, dim=4, chunk_size=3)
    assert torch.equal(bank.feats, sharded.feats)
    assert sharded.shard_size == 20 and sharded.size == 20
    batch = F.normalize(torch.randn(6, 4), dim=1)
    for _ in range(5):  # wraps around
        bank.enqueue(batch, torch.arange(6))
        sharded.enqueue(batch, torch.arange(6))
    for a, b in zip(bank.knn(batch, 4), sharded.knn(batch, 4)):
        assert torch.equal(a, b)
    assert sharded.state_dict().keys() == bank.state_dict().keys()
    assert sharded.fill_ratio == bank.fill_ratio == 1.0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def _worker(rank: int, world: int, port: int) -> None:
    dist.init_process_group('gloo',
                            init_method=f'tcp://127.0.0.1:{port}',
                            rank=rank,
                            world_size=world)
    try:
        _sharded_vs_replicated(rank, world)
    finally:
        dist.destroy_process_group()


def _sharded_vs_replicated(rank: int, world: int) -> None:
    size, dim, k, per_rank = 30, 8, 5, 4
    with pytest.raises(ValueError, match='multiple of the world size'):
        ShardedMemoryBank(size=31, dim=dim)
    feats, query = _data(size, dim)
    for dtype in ('float32', 'float16'):
        replicated = MemoryBank(size=size, dim=dim, chunk_size=7, dtype=dtype)
        sharded = ShardedMemoryBank(size=size,
                                    dim=dim,
                                    chunk_size=4,
                                    dtype=dtype)
        assert sharded.feats.shape == (size // world, dim)
        # 40 entries per pass over 2 ranks: the queue wraps off the border
        order = torch.arange(size + 10) % size
        for step in range(0, len(order), per_rank * world):
            rows = order[step:step + per_rank * world]
            mine = rows.view(world, -1)[rank]
            for bank in (replicated, sharded):
                bank.enqueue(feats[mine], mine)
        assert int(sharded.ptr) == int(replicated.ptr) == 10
        stored = replicated.feats[torch.argsort(replicated.labels)]
        # each rank asks its own queries
        own = query[rank::world]
        _check(replicated, feats, own, k, stored)
        _check(sharded, feats, own, k, stored)
        # same sims and embeddings; labels may swap between tied copies
        ref, got = replicated.knn(own, k), sharded.knn(own, k)
        assert torch.allclose(ref[0], got[0], atol=ATOL)
        assert torch.allclose(ref[1], got[1], atol=ATOL)
        index = torch.tensor([0, 14, 15, 29])
        assert torch.equal(sharded.entries(index), replicated.entries(index))
        # a replicated (full) checkpoint gives every rank its slice
        fresh = ShardedMemoryBank(size=size, dim=dim, dtype=dtype)
        fresh.load_state_dict(replicated.state_dict())
        assert torch.equal(fresh.feats, sharded.feats)
        assert torch.equal(fresh.labels, sharded.labels)
        # a sharded checkpoint (state_dict is a collective) holds the whole
        # queue on rank 0, the layout of the replicated bank
        saved = sharded.state_dict()
        if rank == 0:
            for name in ('feats', 'labels', 'ptr', 'num_seen'):
                assert torch.equal(saved[name], replicated.state_dict()[name])
        else:
            assert torch.equal(saved['feats'], sharded.feats)
        # every rank resumes from the file rank 0 wrote, with any world size
        shared = [saved if rank == 0 else None]
        dist.broadcast_object_list(shared, src=0)
        resumed = ShardedMemoryBank(size=size, dim=dim, dtype=dtype)
        resumed.load_state_dict(shared[0])
        for name in ('feats', 'labels', 'ptr', 'num_seen'):
            assert torch.equal(getattr(resumed, name), getattr(sharded, name))
        single = MemoryBank(size=size, dim=dim, dtype=dtype)
        single.load_state_dict(shared[0])
        assert torch.equal(single.feats, replicated.feats)


def test_sharded_matches_replicated_two_processes():
    mp.spawn(_worker, args=(2, _free_port()), nprocs=2, join=True)
