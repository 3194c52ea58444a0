# Copyright (c) mmmsf contributors. All rights reserved.
"""Exact top-k inner-product search in bounded memory."""
from typing import Tuple

import torch


@torch.no_grad()
def chunked_topk(query: torch.Tensor,
                 keys: torch.Tensor,
                 k: int,
                 chunk_size: int = 65536) -> Tuple[torch.Tensor, torch.Tensor]:
    """The ``k`` keys of largest inner product with each query, exactly.

    The keys are scored ``chunk_size`` rows at a time and only a running
    top-k is kept, so the scratch memory is ``N x chunk_size`` scores
    instead of ``N x M``. Keys stored in another dtype than the query
    (float16/bfloat16 banks) are cast one block at a time, the block shrunk
    so that the cast copy (``block x D``) and its scores (``N x block``)
    together stay within ``N x chunk_size`` values. Scores are computed in
    the query's dtype even inside an autocast region, which would otherwise
    run the matmul in half precision and change which keys are nearest.

    The result equals a full ``(query @ keys.T).topk(k)`` in values; the
    order among exactly tied keys depends only on ``chunk_size``.

    Args:
        query (torch.Tensor): N x D queries (float32 in mmmsf).
        keys (torch.Tensor): M x D keys.
        k (int): Number of neighbours, ``1 <= k <= M``.
        chunk_size (int): Keys scored at once. Defaults to 65536.

    Returns:
        tuple[torch.Tensor]: N x k scores in descending order and the N x k
        row indices of their keys.
    """
    if not 1 <= k <= keys.shape[0]:
        raise ValueError(f'chunked_topk: k={k} but there are only '
                         f'{keys.shape[0]} keys.')
    block = chunk_size
    if keys.dtype != query.dtype:
        num = max(query.shape[0], 1)
        block = max(1, chunk_size * num // (num + keys.shape[1]))
    best_sims = best_idx = None
    with torch.autocast(query.device.type, enabled=False):
        for start in range(0, keys.shape[0], block):
            chunk = keys[start:start + block]  # a view, no copy
            sims = query @ chunk.to(query).t()  # N x block
            sims, idx = sims.topk(min(k, chunk.shape[0]), dim=1)
            idx = idx + start
            if best_sims is not None:
                sims = torch.cat([best_sims, sims], dim=1)
                idx = torch.cat([best_idx, idx], dim=1)
            best_sims, order = sims.topk(min(k, sims.shape[1]), dim=1)
            best_idx = idx.gather(1, order)
    return best_sims, best_idx
