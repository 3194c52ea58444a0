# Copyright (c) mmmsf contributors. All rights reserved.
"""Shared pieces of the reliability tests: a tiny deterministic config."""
import json
import os
import os.path as osp
import subprocess
import sys
from collections import defaultdict
from typing import Dict, List

import torch
from mmengine.config import Config

sys.path.insert(0, osp.dirname(osp.dirname(__file__)))
from conftest import CO2_DEMO_CONFIG, DEMO_CONFIG, REPO_ROOT  # noqa: E402,F401

TRAIN = osp.join(REPO_ROOT, 'tools', 'train.py')
TEST_HELPERS = osp.join(REPO_ROOT, 'tests', 'helpers')

# next to the base's default_hooks (bank check, input check, RNG states,
# NaN guard, SIGTERM saving)
RELIABILITY_HOOKS = "[dict(type='LossRecorderHook')]"


def write_config(path,
                 batch: int = 16,
                 num_samples: int = 64,
                 max_epochs: int = 3,
                 ckpt_interval: int = 3,
                 extra: str = '',
                 base: str = DEMO_CONFIG) -> str:
    """A config file: the CPU demo (or another digits config, ``base``)
    shrunk, deterministic, checkpointing every ``ckpt_interval``
    iterations, with the reliability hooks.

    The base config is frozen into ``demo_frozen.py`` next to ``path`` once,
    so runs compared with each other use the same settings even if the demo
    is edited meanwhile."""
    frozen = osp.join(osp.dirname(str(path)), 'demo_frozen.py')
    if not osp.exists(frozen):
        Config.fromfile(base).dump(frozen)
    path.write_text(f"""
_base_ = {frozen!r}
custom_imports = dict(
    imports=['mmmsf', 'loss_recorder'], allow_failed_imports=False)
custom_hooks = {RELIABILITY_HOOKS}
train_dataloader = dict(
    batch_size={batch}, num_workers=0, persistent_workers=False,
    dataset=dict(indices={num_samples}))
train_cfg = dict(type='ResumableEpochBasedTrainLoop', max_epochs={max_epochs})
model = dict(memory=dict(size=128))
default_hooks = dict(
    memory_bank=dict(interval=1, warm_start=False),
    logger=dict(interval=1),
    checkpoint=dict(type='CheckpointHook', by_epoch=False,
                    interval={ckpt_interval}, max_keep_ckpts=-1))
log_processor = dict(window_size=1)
randomness = dict(seed=0, deterministic=True)
{extra}
""")
    return str(path)


def train_env(**extra) -> dict:
    """Environment of a training subprocess (single-threaded, test hooks
    importable)."""
    env = dict(os.environ,
               OMP_NUM_THREADS='1',
               PYTHON=sys.executable,
               PYTHONPATH=os.pathsep.join([TEST_HELPERS, REPO_ROOT]))
    env.pop('MMMSF_TEST_BLOCK_AT_ITER', None)
    env.update({k: str(v) for k, v in extra.items()})
    return env


def run_train(cfg: str, work_dir, *args, **env) -> subprocess.CompletedProcess:
    """Run ``tools/train.py`` (one process) in a subprocess; ``env`` adds
    environment variables. Output is captured."""
    return subprocess.run(
        [sys.executable, TRAIN, cfg, '--work-dir',
         str(work_dir), *args],
        cwd=REPO_ROOT,
        env=train_env(**env),
        capture_output=True,
        text=True,
        timeout=300)


def read_losses(work_dir) -> Dict[int, List[dict]]:
    """``{iteration: [record, ...]}`` from ``losses.jsonl`` (a killed and a
    resumed run both append to it)."""
    out = defaultdict(list)
    with open(osp.join(work_dir, 'losses.jsonl')) as f:
        for line in f:
            rec = json.loads(line)
            out[rec['iter']].append(rec)
    return out


def max_loss_diff(ref: dict, other: dict, rank: int = 0) -> float:
    """Largest |loss difference| over the iterations of ``other``, checking
    that everything else recorded (bank pointer, sample ids) is equal."""
    worst = 0.0
    for it, recs in other.items():
        want = [r for r in ref[it] if r['rank'] == rank]
        assert len(want) == 1, f'iteration {it} missing from the reference'
        for rec in (r for r in recs if r['rank'] == rank):
            assert rec['idx'] == want[0]['idx'], f'data order, iter {it}'
            assert rec['ptr'] == want[0]['ptr'], f'bank pointer, iter {it}'
            worst = max(worst, abs(rec['loss'] - want[0]['loss']))
    return worst


def assert_same_state(ckpt_a: str, ckpt_b: str) -> None:
    """Two checkpoints hold the same model (bank, EMA target), optimizer,
    schedulers and RNG states."""
    a = torch.load(ckpt_a, weights_only=True)
    b = torch.load(ckpt_b, weights_only=True)
    assert a['meta']['iter'] == b['meta']['iter']
    assert a['state_dict'].keys() == b['state_dict'].keys()
    for key, value in a['state_dict'].items():
        assert torch.allclose(value.float(),
                              b['state_dict'][key].float(),
                              atol=1e-5), key
    for idx, buf in a['optimizer']['state'].items():
        assert torch.allclose(buf['momentum_buffer'],
                              b['optimizer']['state'][idx]['momentum_buffer'],
                              atol=1e-5)
    assert a['param_schedulers'] == b['param_schedulers']
    for sa, sb in zip(a['rng_states'], b['rng_states']):
        assert torch.equal(sa['torch'], sb['torch'])
        assert (sa['numpy'][1] == sb['numpy'][1]).all()
