# Copyright (c) mmmsf contributors. All rights reserved.
"""Test-only: widen the window in which a checkpoint is being written.

With ``MMMSF_TEST_SLOW_SAVE=<file name>`` the first write of that file
(through whatever backend mmengine uses for local paths) writes half of the
bytes, creates ``saving`` in the file's folder and sleeps
``MMMSF_TEST_SLOW_SAVE_SECONDS`` (120) before writing the rest, so a test
can kill the run in the middle of the save.
"""
import builtins
import os
import os.path as osp
import time

from mmengine.fileio.backends import local_backend

from mmmsf.checkpoint import atomic_local_backend


class _SlowFile:

    def __init__(self, f, folder):
        self._f, self._folder = f, folder

    def write(self, data):
        half = len(data) // 2
        self._f.write(data[:half])
        self._f.flush()
        open(osp.join(self._folder, 'saving'), 'w').close()
        time.sleep(float(os.environ.get('MMMSF_TEST_SLOW_SAVE_SECONDS', 120)))
        return half + self._f.write(data[half:])

    def __getattr__(self, name):
        return getattr(self._f, name)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return self._f.__exit__(*exc)


def _open(path, mode='r', *args, **kwargs):
    f = builtins.open(path, mode, *args, **kwargs)
    name = os.environ.get('MMMSF_TEST_SLOW_SAVE')
    # the target itself, or the temporary file written in its place
    if name and 'w' in mode and name in osp.basename(str(path)):
        return _SlowFile(f, osp.dirname(str(path)))
    return f


local_backend.open = _open
atomic_local_backend.open = _open
