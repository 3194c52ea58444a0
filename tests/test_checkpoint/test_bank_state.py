# Copyright (c) mmmsf contributors. All rights reserved.
"""Loading a bank state: refused when it does not fit or is inconsistent;
migrated to another size/dtype on request, newest entries kept in order."""
import pytest
import torch
import torch.nn.functional as F

from mmmsf.checkpoint.bank_state import MemoryBankStateError
from mmmsf.models import MemoryBank


def _filled(size, dim, steps, batch, dtype='float32'):
    """A bank after ``steps`` enqueues of ``batch`` samples; sample ``i``
    (0-based, over all steps) has label ``i``."""
    bank = MemoryBank(size=size, dim=dim, dtype=dtype)
    g = torch.Generator().manual_seed(size + steps)
    for step in range(steps):
        feats = F.normalize(torch.randn(batch, dim, generator=g), dim=1)
        bank.enqueue(feats, torch.arange(step * batch, (step + 1) * batch))
    return bank


def _queue(bank):
    """(feats, labels) of the real entries, oldest first."""
    filled = min(int(bank.num_seen), bank.size)
    order = (int(bank.ptr) - filled + torch.arange(filled)) % bank.size
    return bank.feats[order].float(), bank.labels[order]


@pytest.mark.parametrize(
    'old_size,steps,new_size',
    [
        (16, 2, 32),  # grow, not wrapped
        (16, 5, 32),  # grow a wrapped queue: all 16 kept, in order
        (16, 5, 8),  # shrink a wrapped queue: the newest 8 kept
        (16, 3, 8),  # shrink, not wrapped: 12 real entries, newest 8
        (16, 3, 16),  # same size
    ])
@pytest.mark.parametrize('old_dtype,new_dtype', [('float32', 'float32'),
                                                 ('float32', 'float16'),
                                                 ('float16', 'float32')])
def test_migration_keeps_newest_entries_in_queue_order(old_size, steps,
                                                       new_size, old_dtype,
                                                       new_dtype):
    old = _filled(old_size, 4, steps, batch=4, dtype=old_dtype)
    new = MemoryBank(size=new_size, dim=4, dtype=new_dtype)
    state = old.state_dict()
    assert new.migrate_state_dict(state) == ((old_size, old_dtype)
                                             != (new_size, new_dtype))
    new.load_state_dict(state)  # consistent: passes the load checks

    seen = steps * 4
    keep = min(seen, old_size, new_size)
    assert int(new.num_seen) == keep
    assert int(new.ptr) == keep % new_size
    assert new.fill_ratio == keep / new_size
    assert new.feats.dtype == getattr(torch, new_dtype)
    old_feats, old_labels = _queue(old)
    new_feats, new_labels = _queue(new)
    # the newest `keep` entries, oldest first, labels following their rows
    assert new_labels.tolist() == list(range(seen - keep, seen))
    assert torch.equal(new_labels, old_labels[-keep:])
    tol = 1e-3 if 'float16' in (old_dtype, new_dtype) else 0
    assert torch.allclose(new_feats, old_feats[-keep:], atol=tol)
    # unused rows: random unit vectors with unknown labels, as a new bank
    assert (new.labels[keep:] == -1).all()
    assert torch.allclose(new.feats.float().norm(dim=1),
                          torch.ones(new_size),
                          atol=1e-2)
    # the next enqueue continues right after the kept entries
    new.enqueue(F.normalize(torch.ones(1, 4), dim=1), torch.tensor([99]))
    assert int(new.labels[keep % new_size]) == 99


def test_bank_of_another_shape_or_dtype_is_refused_whole():
    state = _filled(16, 4, 2, 4).state_dict()
    for other in (MemoryBank(size=32, dim=4), MemoryBank(size=16, dim=8),
                  MemoryBank(size=16, dim=4, dtype='float16')):
        before = {k: v.clone() for k, v in other.state_dict().items()}
        with pytest.raises(MemoryBankStateError,
                           match=r'16 x 4 float32 but the model.s is '
                           r'.*--migrate-memory'):
            other.load_state_dict(state)
        for key, value in other.state_dict().items():  # nothing loaded
            assert torch.equal(value, before[key]), key
    bank = MemoryBank(size=16, dim=4)
    with pytest.raises(MemoryBankStateError, match='incomplete: ptr'):
        bank.load_state_dict({
            k: v
            for k, v in state.items() if k != 'ptr'
        },
                             strict=False)
    with pytest.raises(MemoryBankStateError, match='embedding dim differs'):
        MemoryBank(size=8, dim=8).migrate_state_dict(dict(state))


@pytest.mark.parametrize('edit,message', [
    (dict(ptr=16), r'ptr=16 outside \[0, 16\)'),
    (dict(ptr=-1), r'ptr=-1 outside'),
    (dict(num_seen=-3), 'num_seen=-3 is negative'),
    (dict(num_seen=5), 'ptr=8 but num_seen=5'),
    (dict(labels=-2), r'a label is -2'),
    (dict(feats_row=0), '1 of 8 written rows are not unit vectors'),
])
def test_inconsistent_bank_state_is_refused(edit, message):
    state = {
        k: v.clone()
        for k, v in _filled(16, 4, 2, 4).state_dict().items()
    }
    for key in ('ptr', 'num_seen'):
        if key in edit:
            state[key] = torch.tensor(edit[key])
    if 'labels' in edit:
        state['labels'][3] = edit['labels']
    if 'feats_row' in edit:
        state['feats'][edit['feats_row']] *= 2
    with pytest.raises(MemoryBankStateError, match=message):
        MemoryBank(size=16, dim=4).load_state_dict(state)


def test_rows_not_yet_written_need_not_be_unit_vectors():
    # the official code's initial queue is normalised over the other axis;
    # only written rows are embeddings
    state = _filled(16, 4, 2, 4).state_dict()
    state['feats'][8:] *= 3
    MemoryBank(size=16, dim=4).load_state_dict(state)
