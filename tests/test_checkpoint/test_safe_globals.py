# Copyright (c) mmmsf contributors. All rights reserved.
"""The checkpoint allow-list: registered on import, nothing else runs."""
import pickle

import pytest
import torch

import mmmsf


class _Evil:
    """Pickles as a call to a callable that must never run."""

    def __reduce__(self):
        return (_record_call, ('pwned', ))


CALLS = []


def _record_call(arg):
    CALLS.append(arg)
    return arg


def test_crafted_checkpoint_is_refused_and_callable_never_runs(tmp_path):
    path = tmp_path / 'evil.pth'
    torch.save({'state_dict': {'w': torch.ones(1)}, 'meta': _Evil()}, path)
    with pytest.raises(pickle.UnpicklingError, match='_record_call'):
        torch.load(path)  # weights_only=True is the default
    assert CALLS == []


def test_getattr_stand_in_only_resolves_history_buffer_methods(tmp_path):
    from mmengine.logging import HistoryBuffer
    buf = HistoryBuffer()
    buf.update(1.0)
    ok = tmp_path / 'ok.pth'
    torch.save({'hub': buf, 'fn': HistoryBuffer.mean}, ok)
    loaded = torch.load(ok)
    assert loaded['hub'].mean() == 1.0

    class _Sneaky:

        def __reduce__(self):
            return (getattr, (HistoryBuffer, '__init__'))

    bad = tmp_path / 'bad.pth'
    torch.save({'x': _Sneaky()}, bad)
    with pytest.raises(pickle.UnpicklingError, match='__init__'):
        torch.load(bad)


def test_allow_list_is_registered_on_import():
    names = {
        getattr(g, '__name__', str(g))
        for g in mmmsf.checkpoint.CHECKPOINT_SAFE_GLOBALS
        if not isinstance(g, tuple)
    }
    assert 'HistoryBuffer' in names
