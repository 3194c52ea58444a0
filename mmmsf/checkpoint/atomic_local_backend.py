# Copyright (c) mmmsf contributors. All rights reserved.
import os
import os.path as osp
from pathlib import Path
from typing import Union

import mmengine
from mmengine.fileio import LocalBackend, register_backend


class AtomicLocalBackend(LocalBackend):
    """mmengine's local file backend, writing through a temporary file.

    A checkpoint of the paper config holds a 2 GB memory bank, so writing it
    takes seconds; a process killed meanwhile (pre-emption, OOM killer, a
    node failure) would leave a truncated ``iter_N.pth`` behind. Here every
    write goes to ``.<name>.tmp`` in the same folder, is flushed to disk and
    then renamed over the target (:func:`os.replace`, atomic on POSIX), so a
    file under its final name is always complete. A kill leaves at most the
    temporary file, which the next write of the same name replaces.

    :func:`register_atomic_local_backend` makes it the backend of plain
    paths, i.e. of ``Runner.save_checkpoint`` (``CheckpointHook``, the
    pre-emption checkpoint) and every other local ``put``, for the rest of
    the process. :class:`~mmmsf.engine.runner.CheckpointSafeRunner` calls it
    when it is built; importing :mod:`mmmsf` does not.
    """

    def put(self, obj: bytes, filepath: Union[str, Path]) -> None:
        """Write ``obj`` to ``filepath`` atomically.

        Args:
            obj (bytes): Data to be written.
            filepath (str | Path): Path to write data.
        """
        filepath = str(filepath)
        folder = osp.dirname(osp.abspath(filepath))
        mmengine.mkdir_or_exist(folder)
        tmp = osp.join(folder, f'.{osp.basename(filepath)}.tmp')
        with open(tmp, 'wb') as f:
            f.write(obj)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, filepath)

    def put_text(self,
                 obj: str,
                 filepath: Union[str, Path],
                 encoding: str = 'utf-8') -> None:
        """Write text to ``filepath`` atomically.

        Args:
            obj (str): Text to be written.
            filepath (str | Path): Path to write data.
            encoding (str): Encoding of the text. Defaults to 'utf-8'.
        """
        self.put(obj.encode(encoding), filepath)


def register_atomic_local_backend() -> None:
    """Make :class:`AtomicLocalBackend` mmengine's backend of local paths.

    Backends that mmengine created before (it keeps one instance per
    prefix and arguments) are replaced as well.
    """
    from mmengine.fileio import io as fileio_io
    register_backend('local', AtomicLocalBackend, force=True, prefixes='')
    for key, backend in list(fileio_io.backend_instances.items()):
        if type(backend) is LocalBackend:
            fileio_io.backend_instances[key] = AtomicLocalBackend()
