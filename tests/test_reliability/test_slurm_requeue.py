# Copyright (c) mmmsf contributors. All rights reserved.
"""Slurm pre-emption: the job is requeued and relaunched with
``--resume auto`` (the SIGTERM run itself: ``test_resume.py``)."""
import os
import os.path as osp
import subprocess
import sys

from mmmsf.engine.hooks import PreemptionCheckpointHook
from mmmsf.engine.hooks import preemption_checkpoint_hook as hook_module

sys.path.insert(0, osp.dirname(__file__))
from reliability_utils import REPO_ROOT  # noqa: E402


def _fake(folder, name, body):
    """An executable ``name`` in ``folder`` recording its arguments."""
    folder.mkdir(exist_ok=True)
    script = folder / name
    script.write_text(f'#!/bin/sh\necho "$@" >> "{folder}/{name}.log"\n'
                      f'{body}\n')
    script.chmod(0o755)
    return folder / f'{name}.log'


def _logged(monkeypatch):
    messages = []
    monkeypatch.setattr(hook_module, 'print_log',
                        lambda msg, **kwargs: messages.append(msg))
    return messages


def test_no_requeue_outside_slurm(tmp_path, monkeypatch):
    log = _fake(tmp_path, 'scontrol', 'exit 0')
    monkeypatch.setenv('PATH', f'{tmp_path}{os.pathsep}{os.environ["PATH"]}')
    monkeypatch.delenv('SLURM_JOB_ID', raising=False)
    assert PreemptionCheckpointHook.requeue_slurm_job() is False
    assert not log.exists()


def test_failed_requeue_is_reported(tmp_path, monkeypatch):
    log = _fake(tmp_path, 'scontrol',
                'echo "Requeue of JobId=7 not allowed" >&2; exit 1')
    monkeypatch.setenv('PATH', f'{tmp_path}{os.pathsep}{os.environ["PATH"]}')
    monkeypatch.setenv('SLURM_JOB_ID', '7')
    messages = _logged(monkeypatch)
    assert PreemptionCheckpointHook.requeue_slurm_job() is False
    assert log.read_text() == 'requeue 7\n'
    assert 'failed (Requeue of JobId=7 not allowed)' in messages[-1]
    assert '--resume auto' in messages[-1]


def test_slurm_train_relaunches_with_resume_auto(tmp_path):
    log = _fake(tmp_path, 'srun', 'exit 0')
    env = dict(os.environ,
               PATH=f'{tmp_path}{os.pathsep}{os.environ["PATH"]}',
               PYTHON=sys.executable,
               GPUS='2',
               GPUS_PER_NODE='2')
    proc = subprocess.run([
        'bash',
        osp.join(REPO_ROOT, 'tools', 'slurm_train.sh'), 'part', 'job',
        'cfg.py', 'work', '--amp'
    ],
                          env=env,
                          capture_output=True,
                          text=True,
                          timeout=60)
    assert proc.returncode == 0, proc.stderr
    args = log.read_text().split()
    assert args[-6:] == [
        'cfg.py', '--work-dir=work', '--launcher=slurm', '--resume', 'auto',
        '--amp'
    ]
    assert '--ntasks=2' in args
