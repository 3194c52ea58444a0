# Copyright (c) mmmsf contributors. All rights reserved.
"""Resume 2-process (gloo) runs through tools/dist_train.sh: with 2
processes the run is the uninterrupted one; with 1 process the global bank
and the data position carry over."""
import os.path as osp
import shutil
import subprocess
import sys

import pytest
import torch

sys.path.insert(0, osp.dirname(__file__))
from conftest import free_port  # noqa: E402
from reliability_utils import REPO_ROOT  # noqa: E402
from reliability_utils import assert_same_state  # noqa: E402
from reliability_utils import max_loss_diff  # noqa: E402
from reliability_utils import read_losses  # noqa: E402
from reliability_utils import run_train  # noqa: E402
from reliability_utils import train_env  # noqa: E402
from reliability_utils import write_config  # noqa: E402

BATCH = 8  # per rank; 64 samples -> 4 global steps per epoch
MID = 'iter_3.pth'  # 48 of the 64 samples of epoch 1
LAST = 'iter_8.pth'  # 2 epochs


def _dist_train(cfg, work_dir, *args):
    env = train_env(PORT=free_port())
    return subprocess.run([
        'bash', 'tools/dist_train.sh', cfg, '2', '--work-dir',
        str(work_dir), *args
    ],
                          cwd=REPO_ROOT,
                          env=env,
                          capture_output=True,
                          text=True,
                          timeout=300)


@pytest.fixture(scope='module')
def reference(tmp_path_factory):
    """The uninterrupted 2-process run."""
    root = tmp_path_factory.mktemp('ddp_reference')
    cfg = write_config(root / 'cfg.py', batch=BATCH, max_epochs=2)
    proc = _dist_train(cfg, root / 'work')
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    return cfg, root / 'work'


def test_two_process_resume_matches_uninterrupted(reference, tmp_path):
    cfg, ref_dir = reference
    ckpt = torch.load(ref_dir / MID, weights_only=True)
    assert len(ckpt['rng_states']) == 2  # one per rank
    work = tmp_path / 'work'
    work.mkdir()
    shutil.copy(ref_dir / MID, work / MID)
    proc = _dist_train(cfg, work, '--resume', str(work / MID))
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    ref, got = read_losses(ref_dir), read_losses(work)
    assert sorted(got) == list(range(4, 9))
    diff = max(max_loss_diff(ref, got, rank) for rank in (0, 1))
    print(f'max |loss difference| 2-process resume vs uninterrupted: {diff}')
    assert diff <= 1e-6
    assert_same_state(ref_dir / LAST, work / LAST)  # incl. the global bank


def test_resume_with_one_process_continues_the_global_bank(
        reference, tmp_path):
    cfg, ref_dir = reference
    work = tmp_path / 'work'
    work.mkdir()
    shutil.copy(ref_dir / MID, work / MID)
    proc = run_train(cfg, work, '--resume', str(work / MID))
    assert proc.returncode == 0, proc.stderr[-3000:]
    log = proc.stdout + proc.stderr
    assert 'saved by 2 process(es) and is resumed by 1' in log
    # 48 samples consumed = 6 batches of 8 on one process
    assert 'Resuming epoch 1 after 6 of its 8 iterations' in log
    ref, got = read_losses(ref_dir), read_losses(work)
    # the rest of epoch 1: exactly the samples of the 2-process step 4
    rest = sorted(i for r in ref[4] for i in r['idx'])
    assert sorted(i for it in (4, 5) for i in got[it][0]['idx']) == rest
    # the bank continues where the 2 processes left it: 48 entries + 8
    assert got[4][0]['ptr'] == 48 + BATCH
    bank = torch.load(work / MID, weights_only=True)['state_dict']
    assert int(bank['memory.num_seen']) == 48
