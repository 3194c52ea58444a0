# Copyright (c) mmmsf contributors. All rights reserved.
"""Kill (SIGKILL) or pre-empt (SIGTERM) a run, resume it, and get the run
that was never interrupted: same losses, data order, bank, EMA target,
optimizer, schedulers and RNG states."""
import os
import os.path as osp
import signal
import subprocess
import sys
import time

import pytest
import torch

sys.path.insert(0, osp.dirname(__file__))
from reliability_utils import CO2_DEMO_CONFIG  # noqa: E402
from reliability_utils import REPO_ROOT  # noqa: E402
from reliability_utils import TRAIN  # noqa: E402
from reliability_utils import assert_same_state  # noqa: E402
from reliability_utils import max_loss_diff  # noqa: E402
from reliability_utils import read_losses  # noqa: E402
from reliability_utils import run_train  # noqa: E402
from reliability_utils import train_env  # noqa: E402
from reliability_utils import write_config  # noqa: E402

ITERS_PER_EPOCH = 4  # 64 samples, batch 16
LAST = 'iter_12.pth'  # 3 epochs


def _start_and_wait(cfg, work_dir, block_at, block_seconds, **env):
    """Start a run that stalls before iteration ``block_at``; ``env`` adds
    environment variables."""
    proc = subprocess.Popen(
        [sys.executable, TRAIN, cfg, '--work-dir',
         str(work_dir)],
        cwd=REPO_ROOT,
        env=train_env(MMMSF_TEST_BLOCK_AT_ITER=block_at,
                      MMMSF_TEST_BLOCK_SECONDS=block_seconds,
                      **env),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True)
    deadline = time.time() + 240
    while not osp.exists(osp.join(work_dir, 'blocked')):
        if proc.poll() is not None or time.time() > deadline:
            proc.kill()
            pytest.fail('the run ended before the block point: ' +
                        proc.stderr.read()[-3000:])
        time.sleep(0.1)
    return proc


def _uninterrupted(tmp_path_factory, **kwargs):
    root = tmp_path_factory.mktemp('reference')
    cfg = write_config(root / 'cfg.py', **kwargs)
    proc = run_train(cfg, root / 'work')
    assert proc.returncode == 0, proc.stderr[-3000:]
    return cfg, root / 'work'


@pytest.fixture(scope='module')
def reference(tmp_path_factory):
    """The uninterrupted run (MSF)."""
    return _uninterrupted(tmp_path_factory)


@pytest.fixture(scope='module')
def co2_reference(tmp_path_factory):
    """The uninterrupted run of CO2 on the same bank and data."""
    return _uninterrupted(tmp_path_factory, base=CO2_DEMO_CONFIG)


@pytest.mark.parametrize('ref', ['reference', 'co2_reference'],
                         ids=['msf', 'co2'])
def test_sigkill_mid_epoch_then_resume_auto_is_exact(ref, request, tmp_path):
    cfg, ref_dir = request.getfixturevalue(ref)
    work = tmp_path / 'work'
    work.mkdir()
    # checkpoints every 3 iterations; stall before iteration 5, i.e. after
    # iter_3.pth (epoch 1, batch 3 of 4) and one more step
    proc = _start_and_wait(cfg, work, block_at=5, block_seconds=120)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    last = (work / 'last_checkpoint').read_text().strip()
    assert osp.basename(last) == 'iter_3.pth'
    assert 3 % ITERS_PER_EPOCH != 0  # really mid-epoch

    resumed = run_train(cfg, work, '--resume', 'auto')
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    log = resumed.stdout + resumed.stderr
    assert 'Resuming epoch 1 after 3 of its 4 iterations' in log

    ref, got = read_losses(ref_dir), read_losses(work)
    assert sorted(got) == list(range(1, 13))
    assert len(got[4]) == 2  # iteration 4 ran before the kill and after
    diff = max_loss_diff(ref, got)
    print(f'max |loss difference| SIGKILL+resume vs uninterrupted: {diff}')
    assert diff <= 1e-6
    assert_same_state(ref_dir / LAST, work / LAST)


def fake_scontrol(folder) -> str:
    """A ``scontrol`` that appends its arguments to ``scontrol.log``."""
    folder.mkdir(exist_ok=True)
    script = folder / 'scontrol'
    script.write_text(
        '#!/bin/sh\necho "$@" >> "$(dirname "$0")/scontrol.log"\n')
    script.chmod(0o755)
    return str(folder)


def test_sigterm_saves_checkpoint_and_resume_is_exact(reference, tmp_path):
    cfg, ref_dir = reference
    work = tmp_path / 'work'
    work.mkdir()
    # a slurm job (SLURM_JOB_ID set) with a fake scontrol first on PATH
    bin_dir = fake_scontrol(tmp_path / 'bin')
    # SIGTERM arrives during iteration 5 (epoch 2, batch 1 of 4; no
    # regular checkpoint is due): the run finishes it, saves iter_5.pth,
    # requeues the job and exits 75
    proc = _start_and_wait(cfg,
                           work,
                           block_at=5,
                           block_seconds=3,
                           SLURM_JOB_ID=4242,
                           PATH=bin_dir + os.pathsep + os.environ['PATH'])
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 75, err[-3000:]
    assert (tmp_path / 'bin' / 'scontrol.log').read_text() == \
        'requeue 4242\n'
    assert (work / 'iter_5.pth').exists()
    assert osp.basename(
        (work / 'last_checkpoint').read_text().strip()) == 'iter_5.pth'
    assert not (work / 'iter_6.pth').exists()
    ckpt = torch.load(work / 'iter_5.pth', weights_only=True)
    assert ckpt['meta']['iter'] == 5 and len(ckpt['rng_states']) == 1
    assert int(ckpt['state_dict']['memory.num_seen']) == 5 * 16

    resumed = run_train(cfg, work, '--resume', 'auto')
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    ref, got = read_losses(ref_dir), read_losses(work)
    assert sorted(got) == list(range(1, 13))
    diff = max_loss_diff(ref, got)
    print(f'max |loss difference| SIGTERM+resume vs uninterrupted: {diff}')
    assert diff <= 1e-6
    assert_same_state(ref_dir / LAST, work / LAST)
