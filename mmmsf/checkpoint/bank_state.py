# Copyright (c) mmmsf contributors. All rights reserved.
"""Checks and migration of a memory bank's state in a checkpoint.

A :class:`~mmmsf.models.MemoryBank` is checkpointed as four buffers:
``feats`` (S x D unit rows), ``labels`` (S, ``-1`` when unknown), the write
pointer ``ptr`` and the count ``num_seen`` of embeddings written. The bank
validates every load with :func:`check_bank_state`; resuming with
``--migrate-memory`` and ``tools/model_converters/migrate_memory_bank.py``
resize or recast it with :func:`migrate_bank_state`.
"""
from typing import Dict, Optional

import torch
import torch.nn.functional as F

BANK_DTYPES = {
    'float32': torch.float32,
    'float16': torch.float16,
    'bfloat16': torch.bfloat16,
}
BANK_KEYS = ('feats', 'labels', 'ptr', 'num_seen')
# stored rows are unit vectors; float16/bfloat16 storage rounds their norm
_NORM_TOL = 1e-2


class MemoryBankStateError(ValueError):
    """A checkpoint's memory bank does not fit the model's or is corrupt."""


def check_bank_state(bank: torch.nn.Module,
                     state_dict: Dict[str, torch.Tensor],
                     prefix: str = '') -> None:
    """Check a bank state against ``bank`` before it is loaded.

    The four buffers must all be present, ``feats``/``labels`` must have the
    bank's rows, dim and dtype, and together they must describe a queue
    that ``MemoryBank.enqueue`` can have written (see
    :func:`check_queue_state`).

    Args:
        bank (torch.nn.Module): A ``MemoryBank`` (its ``feats``, ``labels``,
            ``size``, ``describe()`` and, if sharded, ``shard_start`` are
            read).
        state_dict (dict[str, torch.Tensor]): The state to load.
        prefix (str): Key prefix of the bank. Defaults to ''.

    Raises:
        MemoryBankStateError: Naming what differs and how to resolve it.
    """
    missing = [k for k in BANK_KEYS if prefix + k not in state_dict]
    if missing:
        raise MemoryBankStateError(
            f'the memory bank state ({prefix}*) is incomplete: '
            f'{", ".join(prefix + k for k in missing)} missing. A bank '
            f'is loaded whole or not at all.')
    feats, labels = state_dict[prefix + 'feats'], state_dict[prefix + 'labels']
    if (tuple(feats.shape) != tuple(bank.feats.shape)
            or feats.dtype != bank.feats.dtype
            or tuple(labels.shape) != tuple(bank.labels.shape)):
        rows, dim = (tuple(feats.shape) + (None, None))[:2]
        dtype = str(feats.dtype).replace('torch.', '')
        raise MemoryBankStateError(
            f'the checkpoint\'s memory bank ({prefix}feats) is {rows} x '
            f'{dim} {dtype} but the model\'s is {bank.describe()} '
            f'(config: model.memory.size / dim / dtype). Loading it '
            f'would silently reset the bank. To continue with the new '
            f'bank and keep the most recent entries, resume with '
            f'`--migrate-memory` (config: load_checkpoint_cfg = '
            f'dict(migrate_memory=True)) or convert the checkpoint with '
            f'tools/model_converters/migrate_memory_bank.py; otherwise '
            f'restore the old model.memory settings.')
    check_queue_state(feats, labels, int(state_dict[prefix + 'ptr']),
                      int(state_dict[prefix + 'num_seen']), bank.size,
                      getattr(bank, 'shard_start', 0), prefix)


def check_queue_state(feats: torch.Tensor,
                      labels: torch.Tensor,
                      ptr: int,
                      num_seen: int,
                      size: int,
                      shard_start: int = 0,
                      prefix: str = '') -> None:
    """Raise if bank buffers cannot come from ``MemoryBank.enqueue``.

    The invariants: ``0 <= ptr < size``, ``num_seen >= 0``,
    ``ptr == num_seen`` while the queue has not wrapped, labels ``>= -1``
    and unit-norm rows where real embeddings were written.

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


def migrate_bank_state(
        state: Dict[str, torch.Tensor],
        size: int,
        dtype: Optional[str] = None,
        fill: Optional[torch.Tensor] = None) -> Dict[str, torch.Tensor]:
    """A bank state resized and/or recast, keeping the newest entries.

    The real entries of the old queue (the last ``min(num_seen, old_size)``
    written, oldest first) are written in queue order to the start of the
    new bank; of a larger queue than fits, the most recent ``size`` are
    kept. The remaining rows are ``fill`` (random unit vectors by default,
    as a new bank starts) with label -1. ``ptr`` points after the last kept
    entry and ``num_seen`` counts the kept entries, so the bank's
    ``fill_ratio`` stays true.

    Args:
        state (dict[str, torch.Tensor]): ``feats``, ``labels``, ``ptr`` and
            ``num_seen`` of a bank (full-queue layout, as checkpoints hold
            it).
        size (int): Entries of the new bank.
        dtype (str, optional): Storage dtype of the new bank; None keeps
            the old one. Defaults to None.
        fill (torch.Tensor, optional): ``size x dim`` rows for the unused
            part. Defaults to None (random unit vectors).

    Returns:
        dict[str, torch.Tensor]: The four buffers of the new bank.
    """
    feats, labels = state['feats'], state['labels']
    old_size, dim = feats.shape
    ptr, num_seen = int(state['ptr']), int(state['num_seen'])
    new_dtype = BANK_DTYPES[dtype] if dtype is not None else feats.dtype
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


def migrate_bank_state_dict(bank: torch.nn.Module,
                            state_dict: Dict[str, torch.Tensor],
                            prefix: str = '') -> bool:
    """Migrate, in place, a bank state of another size or dtype to
    ``bank``'s (see :func:`migrate_bank_state`); a no-op if it already fits.

    Args:
        bank (torch.nn.Module): A ``MemoryBank`` (its ``size``, ``dim``,
            ``feats`` and ``describe()`` are read).
        state_dict (dict[str, torch.Tensor]): A checkpoint's state dict.
        prefix (str): Key prefix of the bank. Defaults to ''.

    Returns:
        bool: Whether the state was migrated.
    """
    feats = state_dict.get(prefix + 'feats')
    if feats is None or (len(feats) == bank.size
                         and feats.dtype == bank.feats.dtype):
        return False
    if feats.dim() != 2 or feats.shape[1] != bank.dim:
        raise MemoryBankStateError(
            f'cannot migrate the checkpoint\'s memory bank '
            f'({tuple(feats.shape)}) to {bank.describe()}: its embedding '
            f'dim differs, so its entries mean nothing to this projector.')
    old = {k: state_dict[prefix + k] for k in BANK_KEYS}
    check_queue_state(old['feats'], old['labels'], int(old['ptr']),
                      int(old['num_seen']), len(feats), 0, prefix)
    dtype = str(bank.feats.dtype).replace('torch.', '')
    new = migrate_bank_state(old, bank.size, dtype)
    state_dict.update({prefix + k: v for k, v in new.items()})
    return True
