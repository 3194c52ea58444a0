# Copyright (c) mmmsf contributors. All rights reserved.
"""Packaging: ``pip install mmmsf`` into a user's own OpenMMLab environment
keeps its stack; the quick start keeps its exact pins; mim finds the tools
and configs; optional packages fail with one clear error."""
import json
import os
import os.path as osp
import re
import runpy
import subprocess
import sys

import pytest
from conftest import REPO_ROOT

REQ = osp.join(REPO_ROOT, 'requirements')
# a cluster's stack: CUDA builds of torch / torchvision and a numpy, all
# different from the quick start's pins (torch 2.15.0, numpy 2.4.6)
CLUSTER_STACK = {
    'torch': '2.5.1+cu121',
    'torchvision': '0.20.1+cu121',
    'numpy': '2.2.6'
}


def fake_distributions(site: str, dists: dict) -> str:
    """Installed-package metadata (``*.dist-info``) pip reads for ``dists``
    (name -> version), in the directory ``site``."""
    for name, version in dists.items():
        info = osp.join(site, f'{name}-{version}.dist-info')
        os.makedirs(info)
        with open(osp.join(info, 'METADATA'), 'w') as f:
            f.write(f'Metadata-Version: 2.1\nName: {name}\n'
                    f'Version: {version}\n')
    return site


def pip_install_plan(site: str, report: str) -> subprocess.CompletedProcess:
    """What ``pip install -e <repo>`` would install where ``site`` comes
    first on sys.path: pip's own resolver, offline (no index, no pip
    config), nothing installed (``--dry-run``)."""
    env = dict(os.environ, PYTHONPATH=site)
    return subprocess.run([
        sys.executable, '-m', 'pip', 'install', '--isolated', '--dry-run',
        '--no-index', '--no-build-isolation', '--disable-pip-version-check',
        '--quiet', '--report', report, '-e', REPO_ROOT
    ],
                          env=env,
                          capture_output=True,
                          text=True,
                          timeout=300)


@pytest.fixture(scope='module')
def cluster_plan(tmp_path_factory):
    tmp = tmp_path_factory.mktemp('cluster')
    site = fake_distributions(str(tmp / 'site'), CLUSTER_STACK)
    report = str(tmp / 'report.json')
    return pip_install_plan(site, report), report


def test_install_keeps_the_users_torch_and_numpy(cluster_plan):
    """Installing mmmsf where torch 2.5.1+cu121 and numpy 2.2.6 are
    installed plans to install mmmsf alone: pip's resolver is satisfied by
    the user's stack (exact pins would make it replace them, or fail here
    with no index to replace them from)."""
    proc, report = cluster_plan
    assert proc.returncode == 0, proc.stderr[-3000:]
    with open(report) as f:
        plan = json.load(f)['install']
    assert [item['metadata']['name'] for item in plan] == ['mmmsf']


def test_install_requires_are_ranges_without_the_quickstart_extras(
        cluster_plan):
    proc, report = cluster_plan
    assert proc.returncode == 0, proc.stderr[-3000:]
    with open(report) as f:
        requires = json.load(f)['install'][0]['metadata']['requires_dist']
    assert not [r for r in requires if re.search(r'(===?|~=) *[0-9]', r)]
    core = {
        re.split(r'[<>=!~ ;\[]', r)[0].lower()
        for r in requires if 'extra ==' not in r
    }
    assert {'torch', 'numpy', 'mmengine', 'mmpretrain'} <= core
    # optional / demo-only / quick-start-only packages are not required
    assert not core & {
        'mmselfsup', 'mlxtend', 'scikit-learn', 'mmcv-lite', 'faiss-cpu'
    }, core
    extras = ' '.join(r for r in requires if 'extra ==' in r)
    for extra, name in [('demo', 'mlxtend'), ('demo', 'scikit-learn'),
                        ('optional', 'mmselfsup')]:
        assert f'{name}' in extras and f'extra == "{extra}"' in extras


def read_names(path: str) -> set:
    """Package names of a requirements file, following ``-r`` includes."""
    names = set()
    with open(path) as f:
        for line in f:
            line = line.split('#')[0].strip()
            if line.startswith('-r'):
                include = line[2:].strip()
                names |= read_names(osp.join(osp.dirname(path), include))
            elif line:
                names.add(re.split(r'[<>=!~ ;\[]', line)[0].lower())
    return names


def test_quickstart_installs_exact_pins():
    """Every package tools/setup_env.sh asks for has an exact pin in
    constraints.txt, so the quick start's .venv stays the proven set."""
    with open(osp.join(REPO_ROOT, 'tools', 'setup_env.sh')) as f:
        setup_env = f.read()
    files = re.findall(r'-r "\$ROOT/requirements/(\w+\.txt)"', setup_env)
    assert files == [
        'runtime.txt', 'mminstall.txt', 'quickstart.txt', 'tests_nodeps.txt'
    ]
    assert '-c "$ROOT/requirements/constraints.txt"' in setup_env
    wanted = set()
    for name in files:
        wanted |= read_names(osp.join(REQ, name))
    with open(osp.join(REQ, 'constraints.txt')) as f:
        pins = {
            line.split('==')[0].lower()
            for line in f if '==' in line and not line.startswith('#')
        }
    assert wanted and not wanted - pins, wanted - pins


def test_mim_extension_exposes_tools_and_configs(tmp_path):
    """setup.py's mim extension, as mim resolves it: ``mim train mmmsf
    CONFIG`` runs ``<package>/.mim/tools/train.py`` and finds a config name
    anywhere under ``<package>`` (following the links); mim's model index
    lists the MSF configs."""
    from modelindex.load_model_index import load
    setup_py = runpy.run_path(osp.join(REPO_ROOT, 'setup.py'),
                              run_name='setup')
    for name in setup_py['MIM_FILES']:
        os.symlink(osp.join(REPO_ROOT, name), tmp_path / name)
    (tmp_path / 'mmmsf').mkdir()
    add_mim_extension = setup_py['add_mim_extension']
    for mode, command in (('symlink', 'editable_wheel'), ('copy',
                                                          'bdist_wheel')):
        add_mim_extension(str(tmp_path), ['setup.py', command])
        pkg_root = tmp_path / 'mmmsf'
        train = pkg_root / '.mim' / 'tools' / 'train.py'
        assert train.is_file() and (pkg_root / '.mim/tools/test.py').is_file()
        assert osp.islink(pkg_root / '.mim' / 'tools') == (mode == 'symlink')
        found = [
            osp.join(d, f) for d, _, fs in os.walk(pkg_root, followlinks=True)
            for f in fs if f == 'msf_resnet50_8xb32-coslr-200e_in1k.py'
        ]
        assert len(found) == 1, found
        index = load(str(pkg_root / '.mim' / 'model-index.yml'))
        index.build_models_with_collections()
        configs = {m.config for m in index.models}
        assert 'configs/msf/msf_resnet50_8xb32-coslr-200e_in1k.py' in configs
        for config in configs:
            assert (pkg_root / '.mim' / config).is_file(), config
    # nothing to do for other commands (egg_info, dist_info, --version)
    (tmp_path / 'other').mkdir()
    add_mim_extension(str(tmp_path / 'other'), ['setup.py', 'dist_info'])
    assert not (tmp_path / 'other' / 'mmmsf').exists()


def test_demo_digits_without_mlxtend_name_the_extra(tmp_path):
    """A missing demo extra gives one clear error naming the fix."""
    shadow = tmp_path / 'shadow' / 'mlxtend'
    shadow.mkdir(parents=True)
    (shadow / '__init__.py'
     ).write_text('raise ImportError("No module named mlxtend")\n')
    code = ('from mmmsf.datasets.embedded_digits import load_digits_arrays\n'
            'load_digits_arrays("mnist")\n')
    proc = subprocess.run([sys.executable, '-c', code],
                          cwd=REPO_ROOT,
                          env=dict(os.environ,
                                   PYTHONPATH=str(tmp_path / 'shadow')),
                          capture_output=True,
                          text=True,
                          timeout=300)
    assert proc.returncode != 0
    assert 'pip install "mmmsf[demo]"' in proc.stderr.strip().splitlines()[-1]


def test_import_mmmsf_where_mmcv_is_2_1():
    """Where mmcv >= 2.1 (every mmdet 3.x environment) mmselfsup refuses to
    import; mmmsf never imports it, so it still imports (registries and
    checkpoint allow-list included), builds MSF and scores a k-NN."""
    code = '''
import sys
import mmcv
mmcv.__version__ = '2.1.0'  # what mmdet 3.x environments hold
import torch
import mmmsf
from mmengine.config import Config
from mmpretrain.registry import MODELS
from mmmsf.evaluation import knn_accuracy
from mmmsf.checkpoint import CHECKPOINT_SAFE_GLOBALS
cfg = Config.fromfile('configs/msf_digits_cpu_demo.py')
cfg.model.memory.size = 64
assert type(MODELS.build(cfg.model)).__name__ == 'MSF'
assert 'mmselfsup' not in sys.modules
safe = torch.serialization.get_safe_globals()
assert CHECKPOINT_SAFE_GLOBALS
assert all(g in safe for g in CHECKPOINT_SAFE_GLOBALS)
# the online k-NN monitor's vote is mmmsf's own: no mmselfsup needed
top1 = knn_accuracy(torch.randn(8, 4), torch.arange(8) % 2,
                    torch.randn(3, 4), torch.arange(3) % 2, majority_ks=(),
                    weighted_ks=(3, ))[0]['weighted_k3_top1']
assert 0 <= top1 <= 100 and 'mmselfsup' not in sys.modules
print('ok')
'''
    proc = subprocess.run([sys.executable, '-W', 'ignore', '-c', code],
                          cwd=REPO_ROOT,
                          capture_output=True,
                          text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.strip().splitlines()[-1] == 'ok'


def test_import_mmmsf_without_mmpretrain_gives_the_allow_list():
    """The detection environment has no mmpretrain: ``import mmmsf`` still
    registers the checkpoint allow-list and offers mmmsf.utils (what
    mmmsf_det uses), and warns that the models need mmpretrain."""
    code = '''
import sys
import warnings
sys.modules['mmpretrain'] = None  # as if not installed
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter('always')
    import mmmsf
from mmmsf.checkpoint import CHECKPOINT_SAFE_GLOBALS, load_checkpoint_safely
assert CHECKPOINT_SAFE_GLOBALS and callable(load_checkpoint_safely)
assert 'mmmsf.models' not in sys.modules
print([str(w.message) for w in caught
       if 'mmpretrain is not installed' in str(w.message)][0])
'''
    proc = subprocess.run([sys.executable, '-c', code],
                          cwd=REPO_ROOT,
                          capture_output=True,
                          text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert 'the MSF models, hooks and datasets need mmpretrain' in proc.stdout


def _venv_python(venv: str) -> str:
    return osp.join(venv, 'bin', 'python')


def _run(cmd, **kwargs) -> subprocess.CompletedProcess:
    proc = subprocess.run(cmd,
                          capture_output=True,
                          text=True,
                          timeout=600,
                          **kwargs)
    assert proc.returncode == 0, (cmd, proc.stdout[-2000:],
                                  proc.stderr[-3000:])
    return proc


@pytest.fixture(scope='module')
def mim_venv(tmp_path_factory):
    """A throwaway venv with openmim 0.3.9 whose other packages are the
    quick-start stack (a .pth file puts the .venv's site-packages after the
    venv's own entries, so what mim installs here comes first)."""
    import site
    venv = str(tmp_path_factory.mktemp('mim') / 'venv')
    _run([sys.executable, '-m', 'venv', venv])
    py = _venv_python(venv)
    own_site = _run(
        [py, '-c',
         'import site; print(site.getsitepackages()[0])']).stdout.strip()
    # 'zz': after easy-install.pth, so an editable mmmsf precedes the stack's
    with open(osp.join(own_site, 'zz_quickstart_stack.pth'), 'w') as f:
        f.write(site.getsitepackages()[0] + '\n')
    pip = [py, '-m', 'pip', 'install', '-q', '--disable-pip-version-check']
    with open(osp.join(REQ, 'mim_check.txt')) as f:
        pins = [
            line.split('#')[0].strip() for line in f
            if line.split('#')[0].strip()
        ]
    _run(pip + ['--no-deps', pins[0]])
    _run(pip + pins[1:])
    return venv


def _copy_repo(dst: str) -> str:
    """The repository's sources (no venvs, work dirs or build outputs)."""
    import shutil
    shutil.copytree(REPO_ROOT,
                    dst,
                    symlinks=True,
                    ignore=shutil.ignore_patterns('.venv*', '.git',
                                                  'work_dirs', 'data', 'build',
                                                  '*.egg-info', '.mim',
                                                  '__pycache__',
                                                  '.pytest_cache', '*.pth'))
    return dst


def test_mim_install_editable_then_mim_train(mim_venv, tmp_path):
    """The README's commands, for real: ``mim install -e .`` then ``mim
    train mmmsf msf_digits_cpu_demo.py --gpus 0`` finds the config by name
    in ``mmmsf/.mim`` and trains with our tools/train.py; after a plain
    ``mim install .`` mim finds the copied tools and configs in
    site-packages."""
    repo = _copy_repo(str(tmp_path / 'repo'))
    mim = osp.join(mim_venv, 'bin', 'mim')
    env = dict(os.environ, PYTHONPATH='')  # only what mim installed
    _run([mim, 'install', '-e', '.', '--no-deps'], cwd=repo, env=env)
    from mmengine.config import Config
    hooks = Config.fromfile(osp.join(repo, 'configs',
                                     'msf_digits_cpu_demo.py')).custom_hooks
    knn = 'custom_hooks.' + str([h['type']
                                 for h in hooks].index('KNNMonitorHook'))
    work_dir = str(tmp_path / 'work')
    proc = _run([
        mim, 'train', 'mmmsf', 'msf_digits_cpu_demo.py', '--gpus', '0',
        '--work-dir', work_dir, '--cfg-options',
        'train_dataloader.dataset.indices=32',
        'train_dataloader.batch_size=16', 'train_dataloader.num_workers=0',
        'train_dataloader.persistent_workers=False', 'train_cfg.max_epochs=1',
        'model.memory.size=128',
        f'{knn}.reference_dataloader.dataset.indices=64',
        f'{knn}.query_dataloader.dataset.indices=32'
    ],
                cwd=str(tmp_path),
                env=env)
    assert osp.join(repo, 'configs', 'msf_digits_cpu_demo.py') in proc.stdout
    assert osp.isfile(osp.join(work_dir, 'epoch_1.pth'))
    # a plain install copies tools/configs into site-packages/mmmsf/.mim
    _run([mim, 'install', '.', '--no-deps'], cwd=repo, env=env)
    found = _run([
        _venv_python(mim_venv), '-c',
        'from mim.utils import get_installed_path, recursively_find; '
        'import os.path as osp; root = get_installed_path("mmmsf"); '
        'print(root); print(osp.isfile(osp.join(root, ".mim", "tools", '
        '"train.py"))); print(recursively_find(root, '
        '"msf_digits_cpu_demo.py", followlinks=True))'
    ],
                 cwd=str(tmp_path),
                 env=env).stdout.splitlines()
    assert found[0].startswith(mim_venv) and found[0].endswith('mmmsf')
    assert found[1] == 'True'
    assert osp.join(found[0], '.mim', 'configs',
                    'msf_digits_cpu_demo.py') in found[2]
