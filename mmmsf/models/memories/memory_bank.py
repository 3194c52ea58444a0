# Copyright (c) mmmsf contributors. All rights reserved.
from typing import Optional, Tuple

import torch
import torch.nn.functional as F
from mmengine.dist import all_gather, get_world_size
from mmengine.model import BaseModule
from mmpretrain.registry import MODELS

from mmmsf.checkpoint import bank_state
from mmmsf.utils.chunked_topk import chunked_topk


@MODELS.register_module()
class MemoryBank(BaseModule):
    """A FIFO queue of past L2-normalised target embeddings.

    The bank of `Mean Shift for Self-Supervised Learning
    <https://arxiv.org/abs/2105.07269>`_, the same global bank on every
    rank. Embeddings, labels (``-1``: unknown), ``ptr`` and ``num_seen``
    are buffers, so checkpoints carry the bank; each load is checked
    (:mod:`mmmsf.checkpoint.bank_state`). Starts as random unit vectors.

    Args:
        size (int): Number of entries (1,024,000 in the paper).
        dim (int): Embedding dimension; must equal the projector output.
        chunk_size (int): Bank rows scored at once by :meth:`knn` (scratch
            ``batch x chunk_size``, not ``batch x size``). Defaults to 65536.
        dtype (str): Storage dtype, ``'float32'``, ``'float16'`` or
            ``'bfloat16'``; scores are float32. Defaults to ``'float32'``.
        init_cfg (dict, optional): Initialization config. Defaults to None.
    """

    def __init__(self,
                 size: int,
                 dim: int,
                 chunk_size: int = 65536,
                 dtype: str = 'float32',
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        for name, value in dict(size=size, dim=dim,
                                chunk_size=chunk_size).items():
            if not isinstance(value, int) or value < 1:
                raise ValueError(f'MemoryBank: `{name}` must be a positive '
                                 f'int, got {value!r}.')
        dtypes = bank_state.BANK_DTYPES
        if dtype not in dtypes:
            raise ValueError(f'MemoryBank: unknown `dtype` {dtype!r}; '
                             f'choose one of {sorted(dtypes)}.')
        self.size, self.dim, self.chunk_size = size, dim, chunk_size
        self._register_bank(dtypes[dtype])
        self.register_buffer('ptr', torch.zeros((), dtype=torch.long))
        self.register_buffer('num_seen', torch.zeros((), dtype=torch.long))

    def _register_bank(self, dtype: torch.dtype) -> None:
        """Register the ``feats`` and ``labels`` buffers of this process."""
        feats = F.normalize(torch.randn(self.size, self.dim), dim=1)
        labels = torch.full((self.size, ), -1, dtype=torch.long)
        self.register_buffer('feats', feats.to(dtype))  # S x D
        self.register_buffer('labels', labels)  # S

    @property
    def fill_ratio(self) -> float:
        """float: Share of the bank that holds real embeddings."""
        return min(int(self.num_seen), self.size) / self.size

    def describe(self) -> str:
        """str: ``size x dim dtype``, as the config sets them."""
        dtype = str(self.feats.dtype).replace('torch.', '')
        return f'{self.size} x {self.dim} {dtype}'

    def check_batch(self, global_batch: int) -> None:
        """Raise unless one global batch (all ranks) fits in the bank."""
        if global_batch > self.size:
            raise ValueError(
                f'MemoryBank: the global batch ({global_batch} samples per '
                f'step over all ranks) is larger than the bank (size='
                f'{self.size}); a step would overwrite its own embeddings. '
                f'Increase `model.memory.size` to at least {global_batch} or '
                f'lower the batch size.')

    def check_topk(self, k: int, name: str = 'k') -> None:
        """Raise unless ``1 <= k <= size`` neighbours can be searched."""
        if not 1 <= k <= self.size:
            raise ValueError(
                f'{type(self).__name__}: {name}={k} is '
                f'{"< 1" if k < 1 else "larger than the memory bank"} '
                f'(size={self.size}); lower topk or enlarge `memory.size`.')

    @torch.no_grad()
    def enqueue(self,
                feats: torch.Tensor,
                labels: Optional[torch.Tensor] = None) -> None:
        """Write this step's N x D embeddings and N labels (None: -1) of
        every rank into the bank."""
        if feats.dim() != 2 or feats.shape[1] != self.dim:
            raise ValueError(
                f'{type(self).__name__}: expected embeddings of shape '
                f'(N, {self.dim}), got {tuple(feats.shape)}; the projector '
                f'output must match `model.memory.dim`.')
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
        index = torch.arange(ptr, ptr + num, device=feats.device) % self.size
        self._write(index, feats, labels)
        self.ptr.fill_((ptr + num) % self.size)
        self.num_seen.add_(num)

    def _write(self, index: torch.Tensor, feats: torch.Tensor,
               labels: torch.Tensor) -> None:
        """Store M x D ``feats``, M ``labels`` at global rows ``index``."""
        index = index.to(self.feats.device)
        self.feats[index] = feats.to(self.feats.device, self.feats.dtype)
        self.labels[index] = labels.to(self.labels.device)

    @torch.no_grad()
    def entries(self, index: torch.Tensor) -> torch.Tensor:
        """M x D stored embeddings (float32) at M global positions."""
        return self.feats[index.to(self.feats.device)].float()

    @torch.no_grad()
    def knn(self, query: torch.Tensor,
            k: int) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """The ``k`` entries most similar to each of N x D unit queries.

        Returns:
            tuple[torch.Tensor]: N x k exact float32 cosine similarities
            (descending), N x k x D neighbours (float32), N x k labels.
        """
        self.check_topk(k)
        query = query.float().to(self.feats.device)
        sims, idx = chunked_topk(query, self.feats, k, self.chunk_size)
        return sims, self.feats[idx].float(), self.labels[idx]

    def _load_from_state_dict(self, state_dict: dict, prefix: str, *args,
                              **kwargs) -> None:
        """Refuse a bank that does not fit whole (never load it in part)."""
        if any(prefix + key in state_dict for key in bank_state.BANK_KEYS):
            self.check_state(state_dict, prefix)
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)

    check_state = bank_state.check_bank_state  # checkpoint code, self=bank
    migrate_state_dict = bank_state.migrate_bank_state_dict
