# Copyright (c) mmmsf contributors. All rights reserved.
from typing import Optional, Tuple

import torch
import torch.nn.functional as F
from mmengine.dist import all_gather, get_world_size
from mmengine.model import BaseModule
from mmpretrain.registry import MODELS

_DTYPES = {
    'float32': torch.float32,
    'float16': torch.float16,
    'bfloat16': torch.bfloat16,
}


@MODELS.register_module()
class MemoryBank(BaseModule):
    """A FIFO queue of past L2-normalised target embeddings.

    The bank of `Mean Shift for Self-Supervised Learning
    <https://arxiv.org/abs/2105.07269>`_. Every rank holds the same global
    bank: :meth:`enqueue` gathers the embeddings of all ranks with
    :func:`mmengine.dist.all_gather` and writes them in rank order.

    The embeddings, their labels (``-1`` when unknown) and the write pointer
    are persistent buffers, so checkpoints carry the whole bank and a resumed
    run continues with exactly the same neighbours.

    Like the official implementation the bank starts filled with random unit
    vectors; ``num_seen`` counts the real embeddings written so far (the fill
    ratio is ``min(num_seen, size) / size``). ``MemoryBankHook`` can replace
    the random vectors with real target embeddings before the first step.

    Args:
        size (int): Number of entries (the paper uses 1,024,000; 128,000
            fits 11 GB GPUs).
        dim (int): Embedding dimension; must equal the projector output.
        chunk_size (int): Bounds the scratch memory of :meth:`knn` to
            ``batch x chunk_size`` float32 similarities instead of
            ``batch x size``. A float32 bank is scored ``chunk_size``
            entries at a time, in place; a float16/bfloat16 bank is upcast
            one block at a time, the block shrunk so that the float32 copy
            and its similarities fit the same budget. Defaults to 65536.
        dtype (str): Storage dtype of the embeddings, one of ``'float32'``,
            ``'float16'``, ``'bfloat16'``. Scores are always accumulated in
            float32. Defaults to ``'float32'``.
        init_cfg (dict, optional): Initialization config. Defaults to None.
    """

    def __init__(self,
                 size: int,
                 dim: int,
                 chunk_size: int = 65536,
                 dtype: str = 'float32',
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if not isinstance(size, int) or size < 1:
            raise ValueError(f'MemoryBank: `size` must be a positive int, '
                             f'got {size!r}.')
        if not isinstance(dim, int) or dim < 1:
            raise ValueError(f'MemoryBank: `dim` must be a positive int, '
                             f'got {dim!r}.')
        if not isinstance(chunk_size, int) or chunk_size < 1:
            raise ValueError(f'MemoryBank: `chunk_size` must be a positive '
                             f'int, got {chunk_size!r}.')
        if dtype not in _DTYPES:
            raise ValueError(f'MemoryBank: unknown `dtype` {dtype!r}; '
                             f'choose one of {sorted(_DTYPES)}.')
        self.size = size
        self.dim = dim
        self.chunk_size = chunk_size
        self._register_bank(_DTYPES[dtype])
        self.register_buffer('ptr', torch.zeros((), dtype=torch.long))
        self.register_buffer('num_seen', torch.zeros((), dtype=torch.long))

    def _register_bank(self, dtype: torch.dtype) -> None:
        """Register the ``feats`` and ``labels`` buffers of this process."""
        feats = F.normalize(torch.randn(self.size, self.dim), dim=1)
        self.register_buffer('feats', feats.to(dtype))  # S x D
        self.register_buffer('labels',
                             torch.full((self.size, ), -1,
                                        dtype=torch.long))  # S

    @property
    def fill_ratio(self) -> float:
        """float: Share of the bank that holds real embeddings."""
        return min(int(self.num_seen), self.size) / self.size

    def check_batch(self, global_batch: int) -> None:
        """Raise a clear error if one global batch cannot fit in the bank.

        Args:
            global_batch (int): Samples enqueued per step over all ranks.
        """
        if global_batch > self.size:
            raise ValueError(
                f'MemoryBank: the global batch ({global_batch} samples per '
                f'step over all ranks) is larger than the bank '
                f'(size={self.size}); a step would overwrite its own '
                f'embeddings. Increase `model.memory.size` to at least '
                f'{global_batch} or lower the batch size.')

    @torch.no_grad()
    def enqueue(self,
                feats: torch.Tensor,
                labels: Optional[torch.Tensor] = None) -> None:
        """Write the embeddings of this step (from every rank) into the bank.

        Args:
            feats (torch.Tensor): N x D L2-normalised target embeddings of
                this rank.
            labels (torch.Tensor, optional): N labels, or None when the data
                is unlabelled (stored as -1).
        """
        if feats.dim() != 2 or feats.shape[1] != self.dim:
            raise ValueError(
                f'MemoryBank: expected embeddings of shape (N, {self.dim}), '
                f'got {tuple(feats.shape)}; the projector output must match '
                f'`model.memory.dim`.')
        if labels is None:
            labels = feats.new_full((feats.shape[0], ), -1, dtype=torch.long)
        feats = feats.detach().contiguous()
        labels = labels.detach().to(feats.device, torch.long).contiguous()
        if get_world_size() > 1:
            feats = torch.cat(all_gather(feats), dim=0)  # (world*N) x D
            labels = torch.cat(all_gather(labels), dim=0)
        num = feats.shape[0]
        self.check_batch(num)
        ptr = int(self.ptr)
        idx = torch.arange(ptr, ptr + num, device=self.feats.device)
        idx = idx % self.size  # wrap around the end of the queue
        self.feats[idx] = feats.to(self.feats.device, self.feats.dtype)
        self.labels[idx] = labels.to(self.labels.device)
        self.ptr.fill_((ptr + num) % self.size)
        self.num_seen.add_(num)

    @torch.no_grad()
    def entries(self, index: torch.Tensor) -> torch.Tensor:
        """Stored embeddings at the given global positions of the queue.

        Args:
            index (torch.Tensor): M bank positions in ``[0, size)``.

        Returns:
            torch.Tensor: M x D embeddings (float32).
        """
        return self.feats[index.to(self.feats.device)].float()

    @torch.no_grad()
    def knn(self, query: torch.Tensor,
            k: int) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Find the ``k`` bank entries most similar to each query.

        The bank is scored ``chunk_size`` entries at a time and only a
        running top-k is kept, so the extra memory is
        ``O(N x chunk_size)``. The returned similarities equal those of a
        full search whatever the chunking; among exactly tied entries any may
        be returned.

        Args:
            query (torch.Tensor): N x D L2-normalised queries.
            k (int): Number of neighbours.

        Returns:
            tuple[torch.Tensor]: ``(sims, feats, labels)``: N x k cosine
            similarities in descending order, the N x k x D neighbour
            embeddings (float32) and their N x k labels.
        """
        if not 1 <= k <= self.size:
            raise ValueError(f'MemoryBank: k={k} neighbours requested but '
                             f'the bank holds {self.size} entries.')
        sims, idx = self._search(query.float(), k)
        feats = self.feats[idx].float()  # N x k x D
        return sims, feats, self.labels[idx]

    def _search(self, query: torch.Tensor,
                k: int) -> Tuple[torch.Tensor, torch.Tensor]:
        """Chunked exact top-k by inner product. Returns N x k sims, idx.

        Scores are float32 even inside an AMP region: autocast would run
        the matmul in float16/bfloat16 and change which entries are the
        nearest.
        """
        with torch.autocast(query.device.type, enabled=False):
            return self._chunked_search(query.float(), k)

    def _chunked_search(self, query: torch.Tensor,
                        k: int) -> Tuple[torch.Tensor, torch.Tensor]:
        rows = len(self.feats)
        block = self.chunk_size
        if self.feats.dtype != torch.float32:
            # the float32 copy of a block (block x D) and its scores
            # (N x block) together stay within N x chunk_size floats
            num = max(query.shape[0], 1)
            block = max(1, self.chunk_size * num // (num + self.dim))
        best_sims = best_idx = None
        for start in range(0, rows, block):
            chunk = self.feats[start:start + block]  # a view, no copy
            sims = query @ chunk.float().t()  # N x block
            sims, idx = sims.topk(min(k, chunk.shape[0]), dim=1)
            idx = idx + start
            if best_sims is not None:
                sims = torch.cat([best_sims, sims], dim=1)
                idx = torch.cat([best_idx, idx], dim=1)
            best_sims, best_idx = self._select(sims, idx, k)
        return best_sims, best_idx

    @staticmethod
    def _select(sims: torch.Tensor, idx: torch.Tensor,
                k: int) -> Tuple[torch.Tensor, torch.Tensor]:
        """Top-k of the candidates ``sims`` (N x M) and their bank ``idx``."""
        sims, order = sims.topk(min(k, sims.shape[1]), dim=1)
        return sims, idx.gather(1, order)
