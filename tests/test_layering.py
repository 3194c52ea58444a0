# Copyright (c) mmmsf contributors. All rights reserved.
"""Library layering: ``mmmsf.utils`` is a leaf (it imports nothing of
models, datasets, engine or evaluation)."""
import ast
import glob
import json
import os.path as osp
import subprocess
import sys

from conftest import REPO_ROOT

UTILS = osp.join(REPO_ROOT, 'mmmsf', 'utils')
UPPER = ('models', 'datasets', 'engine', 'evaluation')


def test_utils_modules_import_no_upper_layer():
    """Every import statement of ``mmmsf/utils``, also inside functions."""
    found = []
    for path in sorted(glob.glob(osp.join(UTILS, '*.py'))):
        with open(path) as f:
            tree = ast.parse(f.read())
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                # `from ..models import x` reads as mmmsf.models
                base = 'mmmsf.' if node.level == 2 else ''
                names = [base + (node.module or '')]
            else:
                continue
            found += [(osp.basename(path), name) for name in names
                      if name.split('.')[:2] in (['mmmsf', u] for u in UPPER)]
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
