# Copyright (c) mmmsf contributors. All rights reserved.
"""Bad settings and data stop ``tools/train.py`` with one clear error
before the first training step (run in-process through the tool)."""
import glob
import json
import os.path as osp
import runpy
import sys
import uuid

import cv2
import numpy as np
import pytest
import torch
from mmengine.model import BaseModel

sys.path.insert(0, osp.dirname(__file__))
from reliability_utils import write_config  # noqa: E402
from reliability_utils import REPO_ROOT, TEST_HELPERS, TRAIN  # noqa: E402

VIEWS = "{{_base_.weak_view}}, strong={{_base_.strong_view}}"


@pytest.fixture
def train(monkeypatch, tmp_path):
    """Run tools/train.py in this process; count the training steps."""
    steps = []
    train_step = BaseModel.train_step

    def counting_train_step(self, *args, **kwargs):
        steps.append(1)
        return train_step(self, *args, **kwargs)

    monkeypatch.setattr(BaseModel, 'train_step', counting_train_step)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # as the subprocess runs: OMP_NUM_THREADS=1
    monkeypatch.syspath_prepend(TEST_HELPERS)
    monkeypatch.chdir(REPO_ROOT)

    def run(extra='', *options, **cfg_kwargs):
        cfg = write_config(tmp_path / 'cfg.py', extra=extra, **cfg_kwargs)
        monkeypatch.setattr(sys, 'argv', [
            TRAIN, cfg, '--work-dir',
            str(tmp_path / 'work'), '--cfg-options',
            f'experiment_name=test_{uuid.uuid4().hex[:8]}', *options
        ])
        runpy.run_path(TRAIN, run_name='__main__')

    run.steps = steps
    yield run
    torch.set_num_threads(threads)


@pytest.mark.parametrize('options, match', [
    (['model.memory.size=8', 'model.head.topk=2'
      ], r'global batch \(16 samples.*Increase `model.memory.size`'),
    (['model.head.topk=200'], r'`head.topk`=200 is larger than the '
     r'memory bank \(size=128\); lower topk or enlarge'),
    (['model.head.topk=0'], r'`topk` must be an int >= 1, got 0'),
    (['model.neck.out_channels=32'
      ], r'neck \(projector\) outputs 32-d embeddings but the memory bank '
     r'stores 64-d ones; set `model.memory.dim=32`'),
    (['train_dataloader.dataset.pipeline.0.view_mode=x/y'
      ], r'`train_dataloader.dataset` \(EmbeddedDigits.*unknown view_mode '
     r"'x/y'"),
    ("train_dataloader['dataset']['pipeline'] = "
     "[dict(type='PackInputs')]",
     r'yields 1 view\(s\) per image but MSF needs exactly 2.*'
     r'MeanShiftViews'),
],
                         ids=[
                             'bank<global_batch', 'topk>bank', 'topk<1',
                             'projector!=bank_dim', 'unknown_view_mode',
                             'one_view'
                         ])
def test_bad_setting_fails_before_first_step(train, options, match):
    extra = options if isinstance(options, str) else ''
    options = [] if extra else options
    with pytest.raises(ValueError, match=match):
        train(extra, *options)
    assert train.steps == []


@pytest.mark.skipif(torch.cuda.is_available(), reason='runs with a GPU')
def test_amp_without_an_accelerator_fails_before_building(train):
    with pytest.raises(ValueError, match=r'--amp needs a CUDA, NPU or MLU'):
        train('', '--amp')
    assert train.steps == []


def _image_folder(root, num=20, corrupt=()):
    """``num`` 28 x 28 PNGs, unlabelled (one flat folder)."""
    rng = np.random.default_rng(0)
    root.mkdir(parents=True, exist_ok=True)
    for i in range(num):
        img = (rng.random((28, 28, 3)) * 255).astype(np.uint8)
        cv2.imwrite(str(root / f'img_{i:03d}.png'), img)
    for name in corrupt:  # cut in half: truncated
        data = (root / name).read_bytes()
        (root / name).write_bytes(data[:len(data) // 2])
    return str(root)


def _folder_dataset(root, skip_corrupt=False):
    return f"""
train_dataloader['dataset'] = dict(
    _delete_=True, type='CustomDataset', data_root={root!r},
    with_label=False,
    pipeline=[
        dict(type='CheckedLoadImageFromFile', skip_corrupt={skip_corrupt}),
        dict(type='MeanShiftViews', weak={VIEWS}, view_mode='w/s'),
        dict(type='PackInputs'),
    ])
"""


def test_empty_dataset_folder_fails_before_first_step(train, tmp_path):
    empty = tmp_path / 'empty'
    empty.mkdir()
    with pytest.raises(ValueError) as err:
        train(_folder_dataset(str(empty)))
    message = str(err.value)
    assert 'could not be built from `train_dataloader.dataset`' in message
    assert f"data_root='{empty}'" in message
    assert 'Found 0 files' in message
    assert train.steps == []


def test_dataset_smaller_than_a_batch_fails_before_first_step(train):
    with pytest.raises(ValueError,
                       match=r'has 8 samples, which give 0 '
                       r'batches of 16 per process'):
        train('', num_samples=8)
    assert train.steps == []


def test_corrupt_image_is_named(train, tmp_path):
    root = _image_folder(tmp_path / 'imgs', corrupt=['img_007.png'])
    with pytest.raises(ValueError) as err:
        train(_folder_dataset(root), batch=4, num_samples=20)
    bad = osp.join(root, 'img_007.png')
    assert f"corrupt or truncated image '{bad}'" in str(err.value)
    assert 'skip_corrupt=True' in str(err.value)


def test_skip_mode_counts_corrupt_images_and_unlabelled_data_trains(
        train, tmp_path, capsys):
    root = _image_folder(tmp_path / 'imgs',
                         corrupt=['img_003.png', 'img_011.png'])
    train(_folder_dataset(root, skip_corrupt=True),
          batch=4,
          num_samples=20,
          max_epochs=1)
    out = capsys.readouterr()
    log = out.out + out.err
    assert train.steps  # it trained
    for name in ('img_003.png', 'img_011.png'):
        assert f"skipped corrupt image '{osp.join(root, name)}'" in log
    assert '2 skipped so far in this process' in log
    # unlabelled: no purity anywhere, finite losses
    scalars = glob.glob(
        str(tmp_path / 'work' / '*' / 'vis_data' / 'scalars.json'))
    records = [json.loads(line) for line in open(scalars[0])]
    assert records and all('purity' not in r for r in records)
    assert all(np.isfinite(r['loss']) for r in records if 'loss' in r)


def test_nan_loss_stops_and_keeps_last_good_checkpoint(train, tmp_path,
                                                       monkeypatch):
    # NaN weights before iteration 6, which is a checkpoint iteration
    monkeypatch.setenv('MMMSF_TEST_NAN_AT_ITER', '6')
    hooks = "custom_hooks.append(dict(type='NaNInjectorHook'))\n" \
        "custom_imports['imports'].append('nan_injector')"
    with pytest.raises(RuntimeError) as err:
        train(hooks, max_epochs=2)
    work = tmp_path / 'work'
    message = str(err.value)
    assert 'the loss is nan at iteration 6' in message
    assert f"last good checkpoint is {work / 'iter_3.pth'}" in message
    assert not (work / 'iter_6.pth').exists()
    assert (work /
            'last_checkpoint').read_text().strip().endswith('iter_3.pth')
    ckpt = torch.load(work / 'iter_3.pth', weights_only=True)
    assert all(
        torch.isfinite(v.float()).all() for v in ckpt['state_dict'].values())
