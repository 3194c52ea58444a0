# Copyright (c) mmmsf contributors. All rights reserved.
"""End to end: an MSF checkpoint -> real mmdet detectors train.

The detectors take the full MSF checkpoint (``prefix='backbone.'``,
``StrictPretrained`` of mmmsf_det: allow-listed safe loading, a missing key
stops the run); the VOC metric reports AP50, AP (IoU 0.5:0.95) and AP75.

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

from mmmsf.checkpoint import load_checkpoint_safely

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
    """A full MSF checkpoint of a few ResNet-50 steps on the digits."""
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
        'custom_hooks': [],
        'default_hooks.memory_bank':
        dict(interval=1, warm_start=False),
        'env_cfg.dist_cfg.backend':
        'gloo',
    })
    runner = Runner.from_cfg(cfg)
    runner.train()
    ckpt = work / 'epoch_1.pth'
    saved = load_checkpoint_safely(str(ckpt))['state_dict']
    # the full checkpoint: the bank and the momentum network as well
    assert any(k.startswith('target_net.') for k in saved)
    backbone = runner.model.backbone.state_dict()
    assert {f'backbone.{k}' for k in backbone} <= set(saved)
    return ckpt, len(backbone)


def run_smoke(kind: str, ckpt: str, work_dir) -> subprocess.CompletedProcess:
    return subprocess.run([
        DET_PYTHON,
        osp.join(REPO_ROOT, 'tools', 'benchmarks', 'mmdetection',
                 'transfer_smoke.py'),
        osp.join(REPO_ROOT, DET_CONFIGS[kind]),
        str(ckpt), '--work-dir',
        str(work_dir), '--iters', '2'
    ],
                          cwd=REPO_ROOT,
                          env=dict(os.environ, PYTHONPATH=REPO_ROOT),
                          capture_output=True,
                          text=True,
                          timeout=900)


@pytest.mark.parametrize('kind', sorted(DET_CONFIGS))
def test_detector_takes_msf_backbone_and_trains(backbone_ckpt, kind, tmp_path):
    ckpt, num_tensors = backbone_ckpt
    proc = run_smoke(kind, ckpt, tmp_path)
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


def test_detector_refuses_a_checkpoint_missing_a_key(backbone_ckpt, tmp_path):
    """Strict: a backbone tensor absent from the checkpoint stops the run
    before training, naming it (mmengine's Pretrained only logs it)."""
    ckpt, _ = backbone_ckpt
    full = load_checkpoint_safely(str(ckpt))
    del full['state_dict']['backbone.layer2.0.conv1.weight']
    broken = tmp_path / 'broken.pth'
    torch.save(full, broken)
    proc = run_smoke('fpn', broken, tmp_path / 'work')
    assert proc.returncode != 0
    assert 'Refusing to initialise ResNet from' in proc.stderr
    assert "missing keys: 'layer2.0.conv1.weight'" in proc.stderr
    assert 'TRANSFER_SMOKE' not in proc.stdout


def test_voc_metric_reports_ap50_ap_ap75():
    """The VOC config's evaluator on a known case: one object found with
    IoU 0.72 (0.745 in VOC's +1 pixel convention) counts at the IoU
    thresholds 0.5-0.7 and not at 0.75-0.95, so AP50 = 1, AP75 = 0 and AP
    (mean over the ten thresholds) = 0.5."""
    code = f"""
import json
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmdet.registry import METRICS
init_default_scope('mmdet')
cfg = Config.fromfile('{DET_CONFIGS['c4']}')
metric = METRICS.build(cfg.val_evaluator)
metric.dataset_meta = dict(classes=('box', 'other'), CLASSES=('box', 'other'))
box = torch.tensor([[0., 0., 10., 10.]])
sample = dict(
    gt_instances=dict(bboxes=box, labels=torch.tensor([0])),
    ignored_instances=dict(bboxes=torch.zeros(0, 4),
                           labels=torch.zeros(0, dtype=torch.long)),
    pred_instances=dict(bboxes=torch.tensor([[0., 0., 10., 7.2]]),
                        scores=torch.tensor([0.9]),
                        labels=torch.tensor([0])))
metric.process({{}}, [sample])
print('METRICS ' + json.dumps(metric.compute_metrics(metric.results)))
"""
    proc = subprocess.run([DET_PYTHON, '-c', code],
                          cwd=REPO_ROOT,
                          env=dict(os.environ, PYTHONPATH=REPO_ROOT),
                          capture_output=True,
                          text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    line = [x for x in proc.stdout.splitlines() if x.startswith('METRICS')]
    metrics = json.loads(line[-1].split(' ', 1)[1])
    assert metrics['AP50'] == pytest.approx(1.0)
    assert metrics['AP70'] == pytest.approx(1.0)
    assert metrics['AP75'] == pytest.approx(0.0)
    assert metrics['mAP'] == pytest.approx(0.5)
