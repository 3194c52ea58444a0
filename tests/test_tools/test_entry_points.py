# Copyright (c) mmmsf contributors. All rights reserved.
"""tools/train.py resolves a config exactly as mmpretrain's own
tools/train.py does (dataloader defaults included)."""
import os
import os.path as osp
import runpy
import subprocess
import sys

import mmpretrain
import pytest
from conftest import DEMO_CONFIG, REPO_ROOT
from mmengine.config import Config

TRAIN = osp.join(REPO_ROOT, 'tools', 'train.py')
MMPRETRAIN_TRAIN = osp.join(osp.dirname(mmpretrain.__file__), '.mim', 'tools',
                            'train.py')
LINEAR_DIGITS = osp.join(REPO_ROOT, 'configs', 'benchmarks', 'classification',
                         'resnet18-w16_linear-1xb128-steplr-10e_digits.py')
LOADERS = ('train_dataloader', 'val_dataloader', 'test_dataloader')


def mmpretrain_resolve(argv, monkeypatch) -> dict:
    """The config mmpretrain's tools/train.py builds for ``argv``."""
    tool = runpy.run_path(MMPRETRAIN_TRAIN, run_name='mmpretrain_train')
    monkeypatch.setattr(sys, 'argv', ['train.py', *argv])
    args = tool['parse_args']()
    return tool['merge_args'](Config.fromfile(argv[0]), args).to_dict()


@pytest.mark.parametrize('argv', [
    [LINEAR_DIGITS],
    [LINEAR_DIGITS, '--no-pin-memory', '--no-persistent-workers'],
    [
        DEMO_CONFIG, '--resume', '--auto-scale-lr', '--no-validate',
        '--work-dir', 'work_dirs/x', '--cfg-options',
        'train_dataloader.num_workers=0',
        'train_dataloader.persistent_workers=False', 'model.memory.size=64'
    ],
])
def test_train_resolves_configs_as_mmpretrain(argv, monkeypatch):
    train = runpy.run_path(TRAIN, run_name='mmmsf_train')
    ours = train['build_config'](train['parse_args'](argv)).to_dict()
    assert ours == mmpretrain_resolve(argv, monkeypatch)
    no_pin = '--no-pin-memory' in argv
    for name in LOADERS:
        loader = ours.get(name)
        if loader is None:
            continue
        assert loader['pin_memory'] is not no_pin
        assert loader['collate_fn'] == dict(type='default_collate')
        assert 'persistent_workers' in loader
    if argv[0] == LINEAR_DIGITS and not no_pin:
        # the config's own False (no workers) beats the default True
        assert ours['val_dataloader']['persistent_workers'] is False
        assert ours['train_dataloader']['persistent_workers'] is False
    if '--no-persistent-workers' in argv:
        assert not any(ours[name]['persistent_workers'] for name in LOADERS)


TEST = osp.join(REPO_ROOT, 'tools', 'test.py')
TINY_TEST = [
    'test_dataloader.dataset.source=sklearn',
    'test_dataloader.dataset.indices=20', 'test_dataloader.num_workers=0'
]


def test_test_flags_resolve_as_mmpretrain(tmp_path):
    """--tta, --no-pin-memory, --amp and --show-dir as mmpretrain's
    tools/test.py sets them; --out-item without --out is refused."""
    test = runpy.run_path(TEST, run_name='mmmsf_test')
    ckpt = str(tmp_path / 'c.pth')
    cfg = test['build_config'](test['parse_args']([
        LINEAR_DIGITS, ckpt, '--tta', '--no-pin-memory', '--amp', '--show-dir',
        str(tmp_path / 'vis'), '--interval', '3', '--work-dir',
        str(tmp_path / 'w'), '--cfg-options', *TINY_TEST
    ]))
    assert cfg.load_from == ckpt and cfg.work_dir == str(tmp_path / 'w')
    assert cfg.model.type == 'mmpretrain.AverageClsScoreTTA'
    assert cfg.model.module.type == 'ImageClassifier'
    assert cfg.test_dataloader.dataset.pipeline[-1].type == 'TestTimeAug'
    assert cfg.test_dataloader.pin_memory is False
    assert cfg.test_dataloader.dataset.indices == 20
    assert cfg.test_cfg.fp16 is True
    vis = cfg.default_hooks.visualization
    assert vis.enable and vis.out_dir == str(tmp_path / 'vis')
    assert vis.interval == 3
    with pytest.raises(ValueError, match='--out-item needs --out'):
        test['build_config'](
            test['parse_args']([LINEAR_DIGITS, ckpt, '--out-item', 'metrics']))
    pretrain = osp.join(REPO_ROOT, 'configs', 'msf_digits_cpu_demo.py')
    with pytest.raises(ValueError, match='has no test_dataloader'):
        test['build_config'](test['parse_args']([pretrain, ckpt]))


def test_test_writes_predictions_metrics_and_images(tmp_path):
    """Real runs of tools/test.py: --out dumps the predictions, --out-item
    metrics the metrics, --show-dir writes images; same accuracy both
    ways."""
    import torch
    from mmengine.registry import init_default_scope
    from mmpretrain.registry import MODELS
    init_default_scope('mmpretrain')
    model = MODELS.build(Config.fromfile(LINEAR_DIGITS).model)
    ckpt = str(tmp_path / 'linear.pth')
    torch.save(dict(meta=dict(), state_dict=model.state_dict()), ckpt)

    def run(*flags):
        proc = subprocess.run([
            sys.executable, TEST, LINEAR_DIGITS, ckpt, '--work-dir',
            str(tmp_path / 'work'), *flags, '--cfg-options', *TINY_TEST
        ],
                              cwd=REPO_ROOT,
                              capture_output=True,
                              text=True,
                              timeout=600)
        assert proc.returncode == 0, proc.stderr[-3000:]

    preds, metrics = tmp_path / 'preds.pkl', tmp_path / 'metrics.json'
    run('--out', str(preds), '--show-dir', str(tmp_path / 'vis'), '--interval',
        '5')
    run('--out', str(metrics), '--out-item', 'metrics')
    import mmengine
    samples = mmengine.load(str(preds))
    assert len(samples) == 20
    correct = sum(int(s['pred_label'] == s['gt_label']) for s in samples)
    top1 = mmengine.load(str(metrics))['accuracy/top1']
    assert abs(top1 - 100. * correct / 20) < 1e-4
    images = sorted(os.listdir(tmp_path / 'vis'))
    assert len(images) == 4 and all(i.endswith('.png') for i in images)
