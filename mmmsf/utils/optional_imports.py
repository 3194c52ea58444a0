# Copyright (c) mmmsf contributors. All rights reserved.
"""Imports of optional packages with one clear error naming the fix."""
import importlib
from types import ModuleType


def import_mmselfsup(module: str, purpose: str) -> ModuleType:
    """Import ``module`` of mmselfsup, which mmmsf does not require.

    mmselfsup 1.0.0 asserts ``mmcv < 2.1`` when imported, so it cannot live
    in an mmdet 3.x environment (mmcv >= 2.1); mmmsf therefore imports it
    only where it is used, never on ``import mmmsf``.

    Args:
        module (str): Module to import, e.g.
            ``'mmselfsup.evaluation.functional'``.
        purpose (str): What needs it, for the error message.

    Returns:
        ModuleType: The imported module.

    Raises:
        ImportError: When mmselfsup is absent or refuses the installed
            mmcv / mmengine / mmcls (its import-time version asserts).
    """
    try:
        return importlib.import_module(module)
    except (ImportError, AssertionError) as e:
        raise ImportError(
            f'{purpose} uses mmselfsup, which could not be imported here '
            f'({type(e).__name__}: {e}). mmselfsup is optional and needs '
            f'mmcv < 2.1: install it with `pip install "mmmsf[optional]"` '
            f'in an environment with mmcv (or mmcv-lite) 2.0.x, as the '
            f'quick start (tools/setup_env.sh) does.') from e
