# Copyright (c) mmmsf contributors. All rights reserved.
from typing import Dict, Optional, Tuple

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
# stored rows are unit vectors; float16/bfloat16 storage rounds their norm
_NORM_TOL = 1e-2
_BANK_KEYS = ('feats', 'labels', 'ptr', 'num_seen')


class MemoryBankStateError(ValueError):
    """A checkpoint's memory bank does not fit the model's or is corrupt."""


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
    def shard_start(self) -> int:
        """int: Global queue position of this process's first row."""
        return 0

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

    # ----------------------------------------------------------------- load
    def describe(self) -> str:
        """str: ``size x dim dtype``, as the config sets them."""
        dtype = str(self.feats.dtype).replace('torch.', '')
        return f'{self.size} x {self.dim} {dtype}'

    def _load_from_state_dict(self, state_dict: dict, prefix: str, *args,
                              **kwargs) -> None:
        """Refuse a bank of another shape or dtype, or an inconsistent one,
        instead of letting a non-strict load keep some buffers and drop
        others (a random bank that claims to be full)."""
        if any(prefix + key in state_dict for key in _BANK_KEYS):
            self.check_state(state_dict, prefix)
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)

    def check_state(self,
                    state_dict: Dict[str, torch.Tensor],
                    prefix: str = '') -> None:
        """Check a bank state against this bank before it is loaded.

        The four buffers must all be present, ``feats``/``labels`` must have
        this bank's rows, dim and dtype, and together they must describe a
        queue that :meth:`enqueue` can have written: ``0 <= ptr < size``,
        ``num_seen >= 0``, ``ptr == num_seen`` while the queue has not
        wrapped, labels ``>= -1`` and unit-norm rows where real embeddings
        were written.

        Args:
            state_dict (dict[str, torch.Tensor]): The state to load.
            prefix (str): Key prefix of this bank. Defaults to ''.

        Raises:
            MemoryBankStateError: Naming what differs and how to resolve it.
        """
        missing = [k for k in _BANK_KEYS if prefix + k not in state_dict]
        if missing:
            raise MemoryBankStateError(
                f'the memory bank state ({prefix}*) is incomplete: '
                f'{", ".join(prefix + k for k in missing)} missing. A bank '
                f'is loaded whole or not at all.')
        feats, labels = (state_dict[prefix + 'feats'],
                         state_dict[prefix + 'labels'])
        if (tuple(feats.shape) != tuple(self.feats.shape)
                or feats.dtype != self.feats.dtype
                or tuple(labels.shape) != tuple(self.labels.shape)):
            rows, dim = (tuple(feats.shape) + (None, None))[:2]
            dtype = str(feats.dtype).replace('torch.', '')
            raise MemoryBankStateError(
                f'the checkpoint\'s memory bank ({prefix}feats) is {rows} x '
                f'{dim} {dtype} but the model\'s is {self.describe()} '
                f'(config: model.memory.size / dim / dtype). Loading it '
                f'would silently reset the bank. To continue with the new '
                f'bank and keep the most recent entries, resume with '
                f'`--migrate-memory` (config: load_checkpoint_cfg = '
                f'dict(migrate_memory=True)) or convert the checkpoint with '
                f'tools/model_converters/migrate_memory_bank.py; otherwise '
                f'restore the old model.memory settings.')
        check_queue_state(feats, labels, int(state_dict[prefix + 'ptr']),
                          int(state_dict[prefix + 'num_seen']), self.size,
                          self.shard_start, prefix)

    # ------------------------------------------------------------ migration
    @staticmethod
    def migrate_state(
            state: Dict[str, torch.Tensor],
            size: int,
            dtype: Optional[str] = None,
            fill: Optional[torch.Tensor] = None) -> Dict[str, torch.Tensor]:
        """A bank state resized and/or recast, keeping the newest entries.

        The real entries of the old queue (the last
        ``min(num_seen, old_size)`` written, oldest first) are written in
        queue order to the start of the new bank; of a larger queue than
        fits, the most recent ``size`` are kept. The remaining rows are
        ``fill`` (random unit vectors by default, as a new bank starts) with
        label -1. ``ptr`` points after the last kept entry and ``num_seen``
        counts the kept entries, so :attr:`fill_ratio` stays true.

        Args:
            state (dict[str, torch.Tensor]): ``feats``, ``labels``, ``ptr``
                and ``num_seen`` of a :class:`MemoryBank` (full-queue layout,
                as checkpoints hold it).
            size (int): Entries of the new bank.
            dtype (str, optional): Storage dtype of the new bank; None keeps
                the old one. Defaults to None.
            fill (torch.Tensor, optional): ``size x dim`` rows for the
                unused part. Defaults to None (random unit vectors).

        Returns:
            dict[str, torch.Tensor]: The four buffers of the new bank.
        """
        feats, labels = state['feats'], state['labels']
        old_size, dim = feats.shape
        ptr, num_seen = int(state['ptr']), int(state['num_seen'])
        new_dtype = _DTYPES[dtype] if dtype is not None else feats.dtype
        # global positions of the real entries, oldest first
        if num_seen >= old_size:
            order = (ptr + torch.arange(old_size)) % old_size
        else:
            order = torch.arange(num_seen)
        order = order[max(0, len(order) - size):]  # the newest that fit
        keep = len(order)
        if fill is None:
            fill = F.normalize(torch.randn(size, dim), dim=1)
        new_feats = fill.to(feats.device, new_dtype).clone()  # S' x D
        new_feats[:keep] = feats[order.to(feats.device)].to(new_dtype)
        new_labels = torch.full((size, ), -1, dtype=labels.dtype)
        new_labels[:keep] = labels[order.to(labels.device)]
        return dict(feats=new_feats,
                    labels=new_labels,
                    ptr=torch.tensor(keep % size, dtype=torch.long),
                    num_seen=torch.tensor(keep, dtype=torch.long))

    def migrate_state_dict(self,
                           state_dict: Dict[str, torch.Tensor],
                           prefix: str = '') -> bool:
        """Migrate, in place, a bank state of another size or dtype to this
        bank's (see :meth:`migrate_state`); a no-op if it already fits.

        Args:
            state_dict (dict[str, torch.Tensor]): A checkpoint's state dict.
            prefix (str): Key prefix of this bank. Defaults to ''.

        Returns:
            bool: Whether the state was migrated.
        """
        feats = state_dict.get(prefix + 'feats')
        if feats is None or (len(feats) == self.size
                             and feats.dtype == self.feats.dtype):
            return False
        if feats.dim() != 2 or feats.shape[1] != self.dim:
            raise MemoryBankStateError(
                f'cannot migrate the checkpoint\'s memory bank '
                f'({tuple(feats.shape)}) to {self.describe()}: its embedding '
                f'dim differs, so its entries mean nothing to this '
                f'projector.')
        old = {k: state_dict[prefix + k] for k in _BANK_KEYS}
        check_queue_state(old['feats'], old['labels'], int(old['ptr']),
                          int(old['num_seen']), len(feats), 0, prefix)
        dtype = str(self.feats.dtype).replace('torch.', '')
        new = self.migrate_state(old, self.size, dtype)
        state_dict.update({prefix + k: v for k, v in new.items()})
        return True


def check_queue_state(feats: torch.Tensor,
                      labels: torch.Tensor,
                      ptr: int,
                      num_seen: int,
                      size: int,
                      shard_start: int = 0,
                      prefix: str = '') -> None:
    """Raise if bank buffers cannot come from :meth:`MemoryBank.enqueue`.

    Args:
        feats (torch.Tensor): Rows of the queue held here (all of it, or one
            shard starting at global position ``shard_start``).
        labels (torch.Tensor): Their labels.
        ptr (int): Write pointer.
        num_seen (int): Embeddings written so far.
        size (int): Global number of entries.
        shard_start (int): Global position of ``feats[0]``. Defaults to 0.
        prefix (str): Key prefix, for the message. Defaults to ''.

    Raises:
        MemoryBankStateError: Naming every violated invariant.
    """
    problems = []
    if not 0 <= ptr < size:
        problems.append(f'ptr={ptr} outside [0, {size})')
    if num_seen < 0:
        problems.append(f'num_seen={num_seen} is negative')
    elif num_seen < size and ptr != num_seen:
        problems.append(f'ptr={ptr} but num_seen={num_seen}: before the '
                        f'queue wraps the pointer equals the count')
    if len(labels) and int(labels.min()) < -1:
        problems.append(f'a label is {int(labels.min())} (< -1)')
    # rows that hold real embeddings: global positions [0, filled)
    filled = min(max(num_seen, 0), size)
    real = max(0, min(len(feats), filled - shard_start))
    bad = _count_non_unit_rows(feats[:real])
    if bad:
        problems.append(f'{bad} of {real} written rows are not unit vectors '
                        f'(|norm - 1| > {_NORM_TOL})')
    if problems:
        raise MemoryBankStateError(
            f'the checkpoint\'s memory bank ({prefix}*) is inconsistent: '
            f'{"; ".join(problems)}. The file is corrupt or was edited; '
            f'resume from an earlier checkpoint.')


def _count_non_unit_rows(feats: torch.Tensor, block: int = 65536) -> int:
    """Rows whose L2 norm is off 1 by more than the storage tolerance,
    counted a block at a time (a float32 copy of one block at most)."""
    bad = 0
    for start in range(0, len(feats), block):
        norms = feats[start:start + block].float().norm(dim=1)
        bad += int(((norms - 1).abs() > _NORM_TOL).sum())
    return bad
