# Copyright (c) mmmsf contributors. All rights reserved.
"""The end-of-run teardown of ``tools/train.py`` and ``tools/test.py``.

A rank that exits while its gloo group is still alive (held by a DDP
wrapper and freed only during interpreter shutdown) or while a peer is still
tearing its group down can abort in C++ after all its work is done, which
torchrun reports as a failed job. ``destroy_process_group`` frees the group
while every rank is alive and makes the ranks leave together.
"""
import os.path as osp
import sys
import warnings
from datetime import timedelta

import torch
import torch.distributed as dist
import torch.multiprocessing as mp

from mmmsf.apis import destroy_process_group

sys.path.insert(0, osp.dirname(osp.dirname(__file__)))
from conftest import free_port  # noqa: E402


def _worker(rank: int, port: int, keep_model: bool, results) -> None:
    store = dist.TCPStore('127.0.0.1',
                          port,
                          2,
                          rank == 0,
                          timeout=timedelta(seconds=60))
    dist.init_process_group('gloo', store=store, rank=rank, world_size=2)
    model = torch.nn.parallel.DistributedDataParallel(torch.nn.Linear(2, 2))
    model(torch.randn(3, 2)).sum().backward()  # the reducer is in use
    if not keep_model:
        del model
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        left_together = destroy_process_group(timeout_s=60)
    results.put((rank, left_together, dist.is_initialized(),
                 [str(w.message) for w in caught]))


def _run(keep_model: bool) -> dict:
    ctx = mp.get_context('spawn')
    results = ctx.SimpleQueue()
    mp.spawn(_worker,
             args=(free_port(), keep_model, results),
             nprocs=2,
             join=True)
    out = {}
    while not results.empty():
        rank, *rest = results.get()
        out[rank] = rest
    return out


def test_ranks_free_the_group_and_leave_together():
    out = _run(keep_model=False)
    assert sorted(out) == [0, 1]
    for left_together, initialized, messages in out.values():
        assert left_together and not initialized
        assert messages == []


def test_a_live_ddp_model_is_reported():
    out = _run(keep_model=True)
    assert sorted(out) == [0, 1]
    for left_together, initialized, messages in out.values():
        assert not left_together and not initialized
        assert any('still referenced' in m for m in messages)


def test_no_group_is_a_no_op():
    assert not dist.is_initialized()
    assert destroy_process_group() is False
