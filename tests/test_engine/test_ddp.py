# Copyright (c) mmmsf contributors. All rights reserved.
"""Two CPU processes (gloo) through the real launcher, tools/dist_train.sh."""
import os
import os.path as osp
import subprocess
import sys

import pytest
import torch

sys.path.insert(0, osp.dirname(osp.dirname(__file__)))
from conftest import free_port  # noqa: E402
from conftest import CO2_DEMO_CONFIG, DEMO_CONFIG, REPO_ROOT  # noqa: E402

BATCH = 8  # per rank


@pytest.mark.parametrize('config', [DEMO_CONFIG, CO2_DEMO_CONFIG],
                         ids=['msf', 'co2'])
def test_two_process_bank_is_global_and_identical(tmp_path, config):
    cfg = tmp_path / 'ddp_cfg.py'
    cfg.write_text(f"""
_base_ = '{config}'
custom_imports = dict(
    imports=['mmmsf', 'bank_probe'], allow_failed_imports=False)
custom_hooks = [dict(type='BankProbeHook')]
train_dataloader = dict(
    batch_size={BATCH}, num_workers=0, persistent_workers=False,
    dataset=dict(indices=64))
train_cfg = dict(max_epochs=1)
param_scheduler = [dict(type='ConstantLR', factor=1.0)]
model = dict(memory=dict(size=128))
default_hooks = dict(
    memory_bank=dict(interval=1, warm_start=False), logger=dict(interval=1))
randomness = dict(seed=0)
""")
    env = dict(os.environ,
               PORT=str(free_port()),
               OMP_NUM_THREADS='1',
               PYTHON=sys.executable,
               PYTHONPATH=osp.join(REPO_ROOT, 'tests', 'helpers'))
    proc = subprocess.run([
        'bash', 'tools/dist_train.sh',
        str(cfg), '2', '--work-dir',
        str(tmp_path)
    ],
                          cwd=REPO_ROOT,
                          env=env,
                          capture_output=True,
                          text=True,
                          timeout=600)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-4000:]
    assert 'gloo' in proc.stdout + proc.stderr

    ranks = [
        torch.load(tmp_path / f'bank_rank{r}.pth', weights_only=True)
        for r in (0, 1)
    ]
    # byte-identical bank on both ranks
    for key, value in ranks[0]['state'].items():
        assert torch.equal(value, ranks[1]['state'][key]), key
    state = ranks[0]['state']
    steps = len(ranks[0]['local'])
    assert steps == 4 == len(ranks[1]['local'])
    assert int(state['num_seen']) == 2 * BATCH * steps
    # every step wrote rank 0's batch, then rank 1's batch
    for step in range(steps):
        start = step * 2 * BATCH
        for rank in (0, 1):
            block = state['feats'][start + rank * BATCH:start +
                                   (rank + 1) * BATCH]
            assert torch.equal(block, ranks[rank]['local'][step])
    assert not torch.equal(ranks[0]['local'][0], ranks[1]['local'][0])
    # the checkpoint (written by rank 0) carries the same global bank
    ckpt = torch.load(tmp_path / 'epoch_1.pth', weights_only=True)
    assert torch.equal(ckpt['state_dict']['memory.feats'], state['feats'])
