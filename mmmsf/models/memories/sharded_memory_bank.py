# Copyright (c) mmmsf contributors. All rights reserved.
import logging
from typing import Tuple

import torch
import torch.nn.functional as F
from mmengine.dist import all_gather, all_reduce, get_rank, get_world_size
from mmengine.logging import print_log
from mmpretrain.registry import MODELS

from mmmsf.utils.chunked_topk import chunked_topk
from .memory_bank import MemoryBank


@MODELS.register_module()
class ShardedMemoryBank(MemoryBank):
    """A :class:`MemoryBank` split across ranks instead of replicated.

    The bank of `Mean Shift for Self-Supervised Learning
    <https://arxiv.org/abs/2105.07269>`_ at ``1 / world_size`` of the memory
    per rank. The queue keeps the global FIFO order of :class:`MemoryBank`:
    global entry ``i`` lives on rank ``i // shard_size`` at row
    ``i % shard_size``, so after the same steps the union of the shards is
    exactly the replicated bank.

    - :meth:`enqueue` gathers the global batch (all ranks, rank order) and
      every rank writes (:meth:`_write`) only the entries of its shard.
    - :meth:`knn` gathers the queries of all ranks, searches them in the
      local shard (chunked, as :class:`MemoryBank`), gathers every rank's
      top-k candidate similarities and global positions, merges them to the
      global top-k (the same on every rank), and fetches the selected
      embeddings and labels from their owners with one ``all_reduce`` (each
      entry has exactly one owner, so the sum is an exact copy). The result
      equals the replicated search: same similarities, same entries up to
      exact ties.

    With a single process it is a :class:`MemoryBank`. All collectives are
    called in the same order on every rank, so the per-rank batch (the
    number of queries) must be the same on every rank, as for
    :meth:`MemoryBank.enqueue`.

    Note:
        With several ranks :meth:`state_dict` is a collective (mmengine's
        ``Runner.save_checkpoint`` calls it on every rank): rank 0 receives
        the other shards one at a time into host memory and returns the
        full bank, so the checkpoint it writes holds the whole global queue,
        in the layout of a :class:`MemoryBank`. Such a checkpoint resumes
        with any world size (each rank takes its slice) or in a
        single-process :class:`MemoryBank`. The peak extra device memory of
        the save is one shard on rank 0. An old checkpoint that holds only
        the shard of rank 0 restores rank 0 and leaves the other shards as
        they are, with a warning: they are refreshed by the queue within
        ``size`` enqueued samples.

    Args:
        size (int): Global number of entries; must be divisible by the
            world size.
        dim (int): Embedding dimension; must equal the projector output.
        chunk_size (int): Scratch-memory bound of the local search, see
            :class:`MemoryBank`. Defaults to 65536.
        dtype (str): Storage dtype, ``'float32'``, ``'float16'`` or
            ``'bfloat16'``. Defaults to ``'float32'``.
        init_cfg (dict, optional): Initialization config. Defaults to None.
    """

    def _register_bank(self, dtype: torch.dtype) -> None:
        """Register this rank's shard of ``feats`` and ``labels``."""
        self.world_size = get_world_size()
        self.rank = get_rank()
        if self.size % self.world_size:
            lower = max(self.size // self.world_size * self.world_size,
                        self.world_size)
            raise ValueError(
                f'ShardedMemoryBank: size={self.size} cannot be split over '
                f'{self.world_size} ranks; set `model.memory.size` to a '
                f'multiple of the world size (e.g. {lower}).')
        self.shard_size = self.size // self.world_size
        # draw every shard in turn so that the shards differ and all ranks
        # consume the same random numbers (model init stays identical)
        for rank in range(self.world_size):
            feats = torch.randn(self.shard_size, self.dim)
            if rank == self.rank:
                shard = F.normalize(feats, dim=1)
        self.register_buffer('feats', shard.to(dtype))  # S/W x D
        self.register_buffer('labels',
                             torch.full((self.shard_size, ),
                                        -1,
                                        dtype=torch.long))  # S/W

    @property
    def shard_start(self) -> int:
        """int: Global position of the first entry of this rank's shard."""
        return self.rank * self.shard_size

    def _owned(self, index: torch.Tensor) -> torch.Tensor:
        """Mask of the global positions ``index`` held by this rank."""
        return (index >= self.shard_start) & (index < self.shard_start +
                                              self.shard_size)

    def _write(self, index: torch.Tensor, feats: torch.Tensor,
               labels: torch.Tensor) -> None:
        """Store the rows of the global positions ``index`` in this shard."""
        mine = self._owned(index)
        super()._write(index[mine] - self.shard_start, feats[mine],
                       labels[mine])

    @torch.no_grad()
    def entries(self, index: torch.Tensor) -> torch.Tensor:
        """Stored embeddings at global positions, fetched from their owners.

        A collective call: every rank must pass the same ``index``.

        Args:
            index (torch.Tensor): M bank positions in ``[0, size)``.

        Returns:
            torch.Tensor: M x D embeddings (float32).
        """
        if self.world_size == 1:
            return super().entries(index)
        index = index.to(self.feats.device)
        out = self.feats.new_zeros((index.shape[0], self.dim),
                                   dtype=torch.float32)  # M x D
        mine = self._owned(index)
        out[mine] = self.feats[index[mine] - self.shard_start].float()
        all_reduce(out)  # one owner per entry: the sum is a copy
        return out

    @torch.no_grad()
    def knn(self, query: torch.Tensor,
            k: int) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Find the ``k`` entries of the global bank nearest to each query.

        A collective call; every rank passes its own N queries.

        Args:
            query (torch.Tensor): N x D L2-normalised queries.
            k (int): Number of neighbours.

        Returns:
            tuple[torch.Tensor]: ``(sims, feats, labels)``: N x k cosine
            similarities in descending order, the N x k x D neighbour
            embeddings (float32) and their N x k labels.
        """
        if self.world_size == 1:
            return super().knn(query, k)
        self.check_topk(k)
        num = query.shape[0]
        query = query.detach().float().to(self.feats.device).contiguous()
        query = torch.cat(all_gather(query), dim=0)  # (world*N) x D
        sims, rows = chunked_topk(query, self.feats, min(k, self.shard_size),
                                  self.chunk_size)
        index = rows + self.shard_start  # global positions
        sims = torch.cat(all_gather(sims.contiguous()), dim=1)  # B x W*k
        index = torch.cat(all_gather(index.contiguous()), dim=1)
        sims, order = sims.topk(k, dim=1)  # B x k, the same on all ranks
        index = index.gather(1, order)
        feats = query.new_zeros(index.shape + (self.dim, ))  # B x k x D
        labels = torch.zeros_like(index)
        mine = self._owned(index)
        feats[mine] = self.feats[index[mine] - self.shard_start].float()
        labels[mine] = self.labels[index[mine] - self.shard_start]
        all_reduce(feats)  # one owner per entry: the sums are copies
        all_reduce(labels)
        own = slice(self.rank * num, (self.rank + 1) * num)
        return sims[own], feats[own], labels[own]

    def _save_to_state_dict(self, destination: dict, prefix: str,
                            keep_vars: bool) -> None:
        """Save the full global bank on rank 0 (a collective call)."""
        super()._save_to_state_dict(destination, prefix, keep_vars)
        if self.world_size == 1:
            return
        feats, labels = self._gather_shards()
        if self.rank == 0:
            destination[prefix + 'feats'] = feats  # S x D, host memory
            destination[prefix + 'labels'] = labels  # S

    @torch.no_grad()
    def _gather_shards(self) -> Tuple[torch.Tensor, torch.Tensor]:
        """Collect every shard on rank 0, one rank at a time.

        Returns:
            tuple[torch.Tensor]: On rank 0 the S x D bank and its S labels
            on the CPU in global queue order; on the other ranks their own
            shard.
        """
        import torch.distributed as dist
        if self.rank != 0:
            dist.send(self.feats.contiguous(), dst=0)
            dist.send(self.labels.contiguous(), dst=0)
            return self.feats, self.labels
        feats = torch.empty((self.size, self.dim), dtype=self.feats.dtype)
        labels = torch.empty((self.size, ), dtype=self.labels.dtype)
        feats[:self.shard_size] = self.feats.cpu()
        labels[:self.shard_size] = self.labels.cpu()
        buf_feats = torch.empty_like(self.feats)  # one shard of scratch
        buf_labels = torch.empty_like(self.labels)
        for src in range(1, self.world_size):
            dist.recv(buf_feats, src=src)
            dist.recv(buf_labels, src=src)
            rows = slice(src * self.shard_size, (src + 1) * self.shard_size)
            feats[rows] = buf_feats.cpu()
            labels[rows] = buf_labels.cpu()
        return feats, labels

    def _load_from_state_dict(self, state_dict: dict, prefix: str, *args,
                              **kwargs) -> None:
        """Take this rank's slice of a full bank, or rank 0's shard (old
        checkpoints)."""
        feats = state_dict.get(prefix + 'feats')
        if feats is not None and feats.dim() == 2:
            if len(feats) == self.size:
                rows = slice(self.shard_start,
                             self.shard_start + self.shard_size)
                for name in ('feats', 'labels'):
                    if prefix + name in state_dict:
                        state_dict[prefix + name] = \
                            state_dict[prefix + name][rows]
            elif len(feats) == self.shard_size and self.rank > 0:
                # mmengine saved rank 0's shard only: keep ours
                state_dict[prefix + 'feats'] = self.feats
                state_dict[prefix + 'labels'] = self.labels
                print_log(
                    f'ShardedMemoryBank: the checkpoint holds only the '
                    f'shard of rank 0; rank {self.rank} keeps its current '
                    f'shard until the queue overwrites it.',
                    logger='current',
                    level=logging.WARNING)
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)
