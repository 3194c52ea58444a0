# Copyright (c) mmmsf contributors. All rights reserved.
import logging
from typing import Optional

import mmcv
import numpy as np
from mmcv.transforms import LoadImageFromFile
from mmengine import fileio
from mmengine.logging import print_log
from mmpretrain.registry import TRANSFORMS


def _truncation(data: bytes) -> Optional[str]:
    """Why ``data`` looks cut short, or None.

    Decoders may return a half-grey image for a truncated JPEG without an
    error; a complete JPEG ends with the EOI marker and a PNG with IEND.
    """
    if data[:2] == b'\xff\xd8' and b'\xff\xd9' not in data[-1024:]:
        return 'JPEG without its end-of-image marker (truncated)'
    if data[:8] == b'\x89PNG\r\n\x1a\n' and b'IEND' not in data[-64:]:
        return 'PNG without its IEND chunk (truncated)'
    return None


@TRANSFORMS.register_module()
class CheckedLoadImageFromFile(LoadImageFromFile):
    """``LoadImageFromFile`` that names corrupt files or skips them.

    A file that cannot be decoded, or a JPEG/PNG that is cut short, raises
    one ``ValueError`` naming the file. With ``skip_corrupt=True`` the
    transform instead logs the file with a running count (kept per process:
    each data-loader worker counts its own files) and returns None, and the
    dataset draws another sample (mmengine's ``BaseDataset`` retries in
    training). Files that are missing still raise.

    Args:
        skip_corrupt (bool): Skip corrupt images instead of raising.
            Defaults to False.
        **kwargs: Arguments of :class:`mmcv.transforms.LoadImageFromFile`
            (``to_float32``, ``color_type``, ``imdecode_backend``,
            ``backend_args``).
    """

    def __init__(self, skip_corrupt: bool = False, **kwargs) -> None:
        super().__init__(**kwargs)
        self.skip_corrupt = skip_corrupt
        self.num_skipped = 0

    def transform(self, results: dict) -> Optional[dict]:
        """Load the image of ``results['img_path']``.

        Args:
            results (dict): Result dict from the dataset.

        Returns:
            dict | None: The results with ``img``, or None for a skipped
            corrupt file.
        """
        filename = results['img_path']
        if self.file_client_args is not None:
            data = fileio.FileClient.infer_client(self.file_client_args,
                                                  filename).get(filename)
        else:
            data = fileio.get(filename, backend_args=self.backend_args)
        reason = _truncation(data)
        img = None
        if reason is None:
            try:
                img = mmcv.imfrombytes(data,
                                       flag=self.color_type,
                                       backend=self.imdecode_backend)
            except Exception as err:  # decoders raise many types
                reason = f'{type(err).__name__}: {err}'
            if img is None and reason is None:
                reason = 'the decoder returned no image'
        if reason is not None:
            return self._corrupt(filename, reason)
        if self.to_float32:
            img = img.astype(np.float32)
        results['img'] = img
        results['img_shape'] = img.shape[:2]
        results['ori_shape'] = img.shape[:2]
        return results

    def _corrupt(self, filename: str, reason: str) -> None:
        if not self.skip_corrupt:
            raise ValueError(
                f'corrupt or truncated image {filename!r} ({reason}); '
                f'remove or re-encode the file, or set skip_corrupt=True '
                f'in CheckedLoadImageFromFile to skip such files.')
        self.num_skipped += 1
        print_log(
            f'CheckedLoadImageFromFile: skipped corrupt image {filename!r} '
            f'({reason}); {self.num_skipped} skipped so far in this '
            f'process.',
            logger='current',
            level=logging.WARNING)
        return None
