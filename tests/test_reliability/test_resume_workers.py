# Copyright (c) mmmsf contributors. All rights reserved.
"""Exact mid-epoch resume with data-loading workers: with
``PerSampleSeededSampler`` and ``PerSampleSeededDataset`` each sample's
augmentation is drawn from its index, the epoch and the run's seed, so a run
resumed mid-epoch (whose workers restart) draws the crops of the
uninterrupted run."""
import os.path as osp
import shutil
import sys

import pytest
import torch

sys.path.insert(0, osp.dirname(__file__))
from reliability_utils import assert_same_state  # noqa: E402
from reliability_utils import max_loss_diff  # noqa: E402
from reliability_utils import read_losses  # noqa: E402
from reliability_utils import run_train  # noqa: E402
from reliability_utils import write_config  # noqa: E402

MID = 'iter_3.pth'  # epoch 1, after 3 of its 4 batches
LAST = 'iter_8.pth'  # 2 epochs
WORKERS = """
train_dataloader.update(num_workers=2, persistent_workers=True)
"""
# the sampler tags each index with the epoch and the seed; the wrapper
# (whose other settings are the digits set's) seeds each sample from them
SEEDED = """
train_dataloader.update(
    sampler=dict(type='PerSampleSeededSampler', shuffle=True))
train_dataloader['dataset'].update(
    type='PerSampleSeededDataset', dataset=dict(type='EmbeddedDigits'))
"""


def _train(cfg, work_dir, *args):
    proc = run_train(cfg, work_dir, *args)
    assert proc.returncode == 0, proc.stderr[-3000:]


def _interrupted_vs_uninterrupted(root, seeded: bool):
    cfg = write_config(root / 'cfg.py',
                       max_epochs=2,
                       extra=WORKERS + (SEEDED if seeded else ''))
    _train(cfg, root / 'ref')
    work = root / 'resumed'
    work.mkdir()
    shutil.copy(root / 'ref' / MID, work / MID)
    _train(cfg, work, '--resume', str(work / MID))
    ref, got = read_losses(root / 'ref'), read_losses(work)
    assert sorted(got) == list(range(4, 9))
    return max_loss_diff(ref, got), root / 'ref' / LAST, work / LAST


def test_per_sample_seed_makes_resume_with_workers_exact(tmp_path):
    diff, ref_last, got_last = _interrupted_vs_uninterrupted(tmp_path, True)
    print(f'max |loss difference| resumed vs uninterrupted, 2 workers: '
          f'{diff}')
    assert diff == 0.0
    assert_same_state(ref_last, got_last)


def test_without_it_the_restarted_workers_draw_other_augmentations(tmp_path):
    """The control: the same run without per-sample seeding is not exact,
    so the test above can fail."""
    diff, _, _ = _interrupted_vs_uninterrupted(tmp_path, False)
    assert diff > 1e-4


def test_wrapped_dataset_keeps_its_interface():
    from mmpretrain.registry import DATASETS

    from mmmsf.datasets import PerSampleSeededDataset
    inner = dict(type='EmbeddedDigits',
                 source='sklearn',
                 indices=8,
                 pipeline=[
                     dict(type='RandomResizedCrop',
                          scale=16,
                          crop_ratio_range=(0.2, 1.0)),
                     dict(type='PackInputs')
                 ])
    wrapped = PerSampleSeededDataset(inner)
    plain = DATASETS.build(inner)
    assert len(wrapped) == 8 and wrapped.metainfo == plain.metainfo
    # the same (index, epoch, seed) gives the same crop, whatever ran before
    a = wrapped[(3, 1, 0)]['inputs']
    torch.rand(5)
    b = wrapped[(3, 1, 0)]['inputs']
    assert torch.equal(a, b)
    # another epoch draws another crop; the caller's RNG is left as it was
    state = torch.get_rng_state()
    others = [wrapped[(3, e, 0)]['inputs'] for e in range(2, 6)]
    assert torch.equal(torch.get_rng_state(), state)
    assert any(not torch.equal(a, o) for o in others)
    with pytest.raises(AttributeError):
        wrapped.__getitems__
