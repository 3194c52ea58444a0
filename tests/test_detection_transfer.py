# Copyright (c) mmmsf contributors. All rights reserved.
"""End to end: MSF pretrain -> extract -> real mmdet detectors train.

Runs the detectors in the detection environment (``tools/setup_det_env.sh``,
``.venv-det``). Skipped when that environment is absent, unless
``MMMSF_WITH_DET=1`` (set by ``tools/run_tests.sh`` in CI), which makes its
absence a failure.
"""
import json
import os
import os.path as osp
import subprocess
import sys
import uuid

import pytest
import torch
from mmengine.config import Config
from mmengine.runner import Runner

sys.path.insert(0, osp.dirname(__file__))
from conftest import DEMO_CONFIG, REPO_ROOT  # noqa: E402

DET_PYTHON = os.environ.get('MMMSF_DET_PYTHON',
                            osp.join(REPO_ROOT, '.venv-det', 'bin', 'python'))
DET_CONFIGS = {
    'fpn':
    'configs/benchmarks/mmdetection/coco/'
    'mask-rcnn_r50_fpn_ms-1x_coco.py',
    'c4':
    'configs/benchmarks/mmdetection/voc0712/'
    'faster-rcnn_r50-c4_ms-24k_voc0712.py',
}

if not osp.exists(DET_PYTHON):
    if os.environ.get('MMMSF_WITH_DET') == '1':
        raise RuntimeError(f'MMMSF_WITH_DET=1 but {DET_PYTHON} is missing: '
                           f'run tools/setup_det_env.sh')
    pytest.skip('detection environment absent (tools/setup_det_env.sh)',
                allow_module_level=True)


@pytest.fixture(scope='module')
def backbone_ckpt(tmp_path_factory):
    """A few MSF ResNet-50 steps on the embedded digits, then extract."""
    work = tmp_path_factory.mktemp('msf_r50')
    cfg = Config.fromfile(
        osp.join(REPO_ROOT, 'configs', 'msf_r50_8xb32_200e_in1k.py'))
    demo = Config.fromfile(DEMO_CONFIG)
    cfg.model.data_preprocessor = demo.model.data_preprocessor
    cfg.train_dataloader = demo.train_dataloader
    cfg.merge_from_dict({
        'work_dir':
        str(work),
        'experiment_name':
        f'det_{uuid.uuid4().hex[:6]}',
        'model.memory.size':
        64,
        'train_dataloader.batch_size':
        8,
        'train_dataloader.num_workers':
        0,
        'train_dataloader.persistent_workers':
        False,
        'train_dataloader.dataset.indices':
        16,
        'train_cfg.max_epochs':
        1,
        'param_scheduler': [dict(type='ConstantLR', factor=1.0)],
        'custom_hooks': [dict(type='MemoryBankHook', interval=1)],
        'env_cfg.dist_cfg.backend':
        'gloo',
    })
    runner = Runner.from_cfg(cfg)
    runner.train()
    out = work / 'backbone.pth'
    proc = subprocess.run([
        sys.executable,
        osp.join(REPO_ROOT, 'tools', 'model_converters',
                 'extract_backbone_weights.py'),
        str(work / 'epoch_1.pth'),
        str(out)
    ],
                          capture_output=True,
                          text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    backbone = runner.model.backbone.state_dict()
    saved = torch.load(out, weights_only=True)['state_dict']
    assert set(saved) == set(backbone)
    return out, len(saved)


@pytest.mark.parametrize('kind', sorted(DET_CONFIGS))
def test_detector_takes_msf_backbone_and_trains(backbone_ckpt, kind, tmp_path):
    ckpt, num_tensors = backbone_ckpt
    proc = subprocess.run([
        DET_PYTHON,
        osp.join(REPO_ROOT, 'tools', 'benchmarks', 'mmdetection',
                 'transfer_smoke.py'),
        osp.join(REPO_ROOT, DET_CONFIGS[kind]),
        str(ckpt), '--work-dir',
        str(tmp_path), '--iters', '2'
    ],
                          cwd=REPO_ROOT,
                          env=dict(os.environ, PYTHONPATH=REPO_ROOT),
                          capture_output=True,
                          text=True,
                          timeout=900)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    line = [
        x for x in proc.stdout.splitlines() if x.startswith('TRANSFER_SMOKE')
    ][-1]
    report = json.loads(line.split(' ', 1)[1])
    # every ResNet-50 tensor arrived (C4: res2-4 in the backbone, res5 in
    # the RoI head), bit for bit
    assert report['compared'] == num_tensors
    assert report['differ'] == [] and report['not_in_checkpoint'] == []
    assert report['iters'] == 2 and report['finite']
    assert 'loss' in report['losses']
