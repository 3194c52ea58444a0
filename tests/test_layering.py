# Copyright (c) mmmsf contributors. All rights reserved.
"""Library layering, bottom-up: ``mmmsf.utils`` is a leaf (it imports
nothing of models, datasets, engine or evaluation); ``mmmsf.models``
imports nothing of evaluation or engine; the library imports nothing of
the programs under ``tools/``."""
import ast
import glob
import json
import os.path as osp
import subprocess
import sys
from typing import List, Sequence, Tuple

from conftest import REPO_ROOT

MMMSF = osp.join(REPO_ROOT, 'mmmsf')
UPPER = ('models', 'datasets', 'engine', 'evaluation')


def imported_names(folder: str) -> List[Tuple[str, str]]:
    """``(file, module)`` for every import statement of the ``.py`` files
    under ``folder`` (recursively, also inside functions); relative
    imports are resolved to ``mmmsf.<...>``."""
    found = []
    paths = glob.glob(osp.join(folder, '**', '*.py'), recursive=True)
    for path in sorted(paths):
        package = osp.relpath(osp.dirname(path), REPO_ROOT).split(osp.sep)
        with open(path) as f:
            tree = ast.parse(f.read())
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                # `from ..models import x` in mmmsf/utils reads as
                # mmmsf.models
                base = package[:len(package) - node.level + 1]
                prefix = '.'.join(base) + '.' if node.level else ''
                names = [prefix + (node.module or '')]
            else:
                continue
            found += [(osp.relpath(path, REPO_ROOT), name) for name in names]
    return found


def layer_violations(layer: str, forbidden: Sequence[str]) -> list:
    """Imports of ``mmmsf.<forbidden>`` from ``mmmsf/<layer>``."""
    return [(path, name)
            for path, name in imported_names(osp.join(MMMSF, layer))
            if name.split('.')[:2] in (['mmmsf', u] for u in forbidden)]


def test_utils_modules_import_no_upper_layer():
    """Every import statement of ``mmmsf/utils``, also inside functions."""
    found = layer_violations('utils', UPPER)
    assert found == []


def test_models_import_no_evaluation_or_engine():
    """The method (models) sits below the engine and the evaluation."""
    assert layer_violations('models', ('evaluation', 'engine')) == []


def test_layer_scan_sees_relative_imports():
    """The scan resolves ``from ..x import y`` (else the tests above could
    not fail)."""
    co2 = osp.join('mmmsf', 'models', 'algorithms', 'co2.py')
    found = imported_names(osp.join(MMMSF, 'models', 'algorithms'))
    # co2.py: `from ..memories import ShardedMemoryBank`
    assert (co2, 'mmmsf.models.memories') in found


def test_library_imports_nothing_of_tools():
    """No module of ``mmmsf/`` imports a program or helper of ``tools/``
    (by package name or by the name a ``sys.path`` insert would expose)."""
    tool_modules = {'tools'}
    for path in glob.glob(osp.join(REPO_ROOT, 'tools', '**', '*.py'),
                          recursive=True):
        name = osp.splitext(osp.basename(path))[0]
        if name == '__init__':
            name = osp.basename(osp.dirname(path))
        tool_modules.add(name)
    found = [(path, name) for path, name in imported_names(MMMSF)
             if name.split('.')[0] in tool_modules]
    assert found == []


def test_importing_every_utils_module_loads_no_upper_layer():
    """Import each ``mmmsf.utils`` module without running
    ``mmmsf/__init__.py`` (which imports everything to register it)."""
    code = f"""
import importlib, json, pkgutil, sys, types
pkg = types.ModuleType('mmmsf')
pkg.__path__ = [{osp.join(REPO_ROOT, 'mmmsf')!r}]
sys.modules['mmmsf'] = pkg
import mmmsf.utils
for info in pkgutil.iter_modules(mmmsf.utils.__path__):
    importlib.import_module('mmmsf.utils.' + info.name)
print(json.dumps(sorted(m for m in sys.modules if m.startswith("mmmsf."))))
"""
    proc = subprocess.run([sys.executable, '-c', code],
                          capture_output=True,
                          text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    loaded = json.loads(proc.stdout.strip().splitlines()[-1])
    assert 'mmmsf.utils.rng_state' in loaded  # it did import them
    assert [m for m in loaded if m.split('.')[1] in UPPER] == []
