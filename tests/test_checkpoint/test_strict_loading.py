# Copyright (c) mmmsf contributors. All rights reserved.
"""No silent partial loads: strict resume and load_from, explicit bank
migration, consistent banks, atomic checkpoints and a ``--resume auto``
that skips a truncated checkpoint."""
import logging
import os
import os.path as osp
import runpy
import shutil
import signal
import subprocess
import sys
import time

import pytest
import torch
from mmengine.config import Config
from mmengine.logging import MMLogger
from mmengine.registry import RUNNERS
from mmengine.runner import Runner

from mmmsf.checkpoint import CheckpointMismatchError
from mmmsf.checkpoint.bank_state import MemoryBankStateError

sys.path.insert(
    0, osp.join(osp.dirname(osp.dirname(__file__)), 'test_reliability'))
from reliability_utils import REPO_ROOT  # noqa: E402
from reliability_utils import TEST_HELPERS  # noqa: E402
from reliability_utils import TRAIN  # noqa: E402
from reliability_utils import max_loss_diff  # noqa: E402
from reliability_utils import read_losses  # noqa: E402
from reliability_utils import run_train  # noqa: E402
from reliability_utils import train_env  # noqa: E402
from reliability_utils import write_config  # noqa: E402

if TEST_HELPERS not in sys.path:
    sys.path.insert(0, TEST_HELPERS)  # loss_recorder, for in-process runners


@pytest.fixture(scope='module')
def trained(tmp_path_factory):
    """One epoch (4 iterations of 16, bank 128), a checkpoint every 2."""
    root = tmp_path_factory.mktemp('trained')
    cfg = write_config(root / 'cfg.py', max_epochs=1, ckpt_interval=2)
    proc = run_train(cfg, root / 'work')
    assert proc.returncode == 0, proc.stderr[-3000:]
    return cfg, root / 'work'


def _runner(cfg_path, work_dir, resume=False, load_from=None, **options):
    """A runner built in this process as tools/train.py builds it."""
    cfg = Config.fromfile(cfg_path)
    cfg.merge_from_dict(dict(work_dir=str(work_dir), **options))
    cfg.resume, cfg.load_from = resume, load_from
    return RUNNERS.build(cfg) if 'runner_type' in cfg else \
        Runner.from_cfg(cfg)


def _state(path):
    return torch.load(path, weights_only=True)['state_dict']


def test_resume_with_another_bank_stops_before_step_one(trained, tmp_path):
    cfg, work = trained
    runner = _runner(cfg,
                     tmp_path,
                     resume=True,
                     load_from=str(work / 'iter_4.pth'),
                     **{
                         'model.memory.size': 256,
                         'train_cfg.max_epochs': 2
                     })
    with pytest.raises(CheckpointMismatchError) as err:
        runner.train()
    message = str(err.value)
    assert str(work / 'iter_4.pth') in message
    assert 'nothing was loaded' in message
    assert '128 x 64 float32 but the model\'s is 256 x 64 float32' in message
    assert 'model.memory.size' in message and '--migrate-memory' in message
    assert runner.iter == 0 and not list(tmp_path.glob('*.pth'))
    # the same through mmengine's own Runner: the bank refuses by itself
    # (mmengine would log a size mismatch and train on a random bank)
    cfg_obj = Config.fromfile(cfg)
    cfg_obj.pop('runner_type')
    cfg_obj.merge_from_dict({
        'work_dir': str(tmp_path / 'plain'),
        'model.memory.size': 256
    })
    plain = Runner.from_cfg(cfg_obj)
    with pytest.raises(MemoryBankStateError, match='256 x 64 float32'):
        plain.load_checkpoint(str(work / 'iter_4.pth'))


def test_load_from_with_another_projector_names_keys_and_setting(
        trained, tmp_path):
    cfg, work = trained
    runner = _runner(cfg,
                     tmp_path,
                     load_from=str(work / 'iter_4.pth'),
                     **{'model.neck.hid_channels': 64})
    before = runner.model.state_dict()['neck.fc0.weight'].clone()
    with pytest.raises(CheckpointMismatchError) as err:
        runner.load_or_resume()
    message = str(err.value)
    assert "neck.fc0.weight ((512, 128) in checkpoint, (64, 128) in " \
        "model)" in message
    assert 'target_net.module.1.fc0.weight' in message
    assert 'model.neck (projector' in message
    assert 'model.memory' not in message  # the bank fits
    assert torch.equal(runner.model.state_dict()['neck.fc0.weight'], before)


def test_allow_partial_load_warns_per_key_and_never_loads_half_a_bank(
        trained, tmp_path):
    cfg, work = trained
    runner = _runner(cfg,
                     tmp_path,
                     load_from=str(work / 'iter_4.pth'),
                     **{
                         'model.memory.size': 256,
                         'load_checkpoint_cfg.allow_partial': True
                     })
    records = []
    handler = logging.Handler()
    handler.emit = records.append
    logger = MMLogger.get_current_instance()
    logger.addHandler(handler)
    try:
        runner.load_or_resume()
    finally:
        logger.removeHandler(handler)
    warned = [r.getMessage() for r in records if r.levelno == logging.WARNING]
    for key in ('feats', 'labels', 'ptr', 'num_seen'):
        assert any(f'partial load skips memory.{key}' in m for m in warned)
    model, ckpt = runner.model, _state(work / 'iter_4.pth')
    assert int(model.memory.num_seen) == 0 and int(model.memory.ptr) == 0
    assert torch.equal(model.neck.fc0.weight, ckpt['neck.fc0.weight'])


def test_migrate_memory_resumes_with_the_newest_entries(trained, tmp_path):
    cfg, work = trained
    proc = run_train(cfg, tmp_path, '--resume', str(work / 'iter_4.pth'),
                     '--migrate-memory', '--cfg-options',
                     'model.memory.size=256', 'train_cfg.max_epochs=2')
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert 'migrated the memory bank (memory.*) to 256 x 64 float32, ' \
        'keeping the newest 64 entries' in proc.stdout + proc.stderr
    old, new = _state(work / 'iter_4.pth'), _state(tmp_path / 'iter_8.pth')
    assert new['memory.feats'].shape == (256, 64)
    assert int(new['memory.num_seen']) == 128  # 64 kept + 4 x 16 new
    assert int(new['memory.ptr']) == 128
    assert torch.equal(new['memory.feats'][:64], old['memory.feats'][:64])
    assert torch.equal(new['memory.labels'][:64], old['memory.labels'][:64])
    assert (new['memory.labels'][128:] == -1).all()


def test_migrate_memory_bank_tool(trained, tmp_path, monkeypatch, capsys):
    _, work = trained
    out = tmp_path / 'small.pth'
    tool = osp.join(REPO_ROOT, 'tools', 'model_converters',
                    'migrate_memory_bank.py')
    monkeypatch.setattr(sys, 'argv', [
        tool,
        str(work / 'iter_4.pth'),
        str(out), '--size', '48', '--dtype', 'float16'
    ])
    runpy.run_path(tool, run_name='__main__')
    assert 'kept the newest 48 entries (ptr 0)' in capsys.readouterr().out
    old, new = _state(work / 'iter_4.pth'), _state(out)
    assert new['memory.feats'].dtype == torch.float16
    assert torch.equal(new['memory.labels'], old['memory.labels'][16:64])
    assert torch.allclose(new['memory.feats'].float(),
                          old['memory.feats'][16:64],
                          atol=1e-3)
    assert int(new['memory.num_seen']) == 48
    for key in old:  # everything else is copied unchanged
        if not key.startswith('memory.'):
            assert torch.equal(new[key], old[key]), key


def test_inconsistent_bank_in_checkpoint_is_named(trained, tmp_path):
    cfg, work = trained
    ckpt = torch.load(work / 'iter_4.pth', weights_only=True)
    ckpt['state_dict']['memory.num_seen'] = torch.tensor(40)  # ptr is 64
    bad = tmp_path / 'edited.pth'
    torch.save(ckpt, bad)
    runner = _runner(cfg, tmp_path / 'run', resume=True, load_from=str(bad))
    with pytest.raises(CheckpointMismatchError) as err:
        runner.load_or_resume()
    assert str(bad) in str(err.value)
    assert 'ptr=64 but num_seen=40' in str(err.value)


def test_resume_auto_skips_a_truncated_newest_checkpoint(trained, tmp_path):
    cfg, work = trained
    for name in ('iter_2.pth', 'iter_4.pth'):
        shutil.copy(work / name, tmp_path / name)
        time.sleep(0.01)  # iter_4 is the newest
    data = (tmp_path / 'iter_4.pth').read_bytes()
    (tmp_path / 'iter_4.pth').write_bytes(data[:len(data) // 2])
    (tmp_path / 'last_checkpoint').write_text(str(tmp_path / 'iter_4.pth'))
    runner = _runner(cfg, tmp_path, resume=True)  # --resume auto
    runner.load_or_resume()
    assert runner.iter == 2
    assert torch.equal(runner.model.memory.feats,
                       _state(work / 'iter_2.pth')['memory.feats'])


def test_kill_inside_a_save_leaves_no_truncated_checkpoint(trained, tmp_path):
    cfg, ref_work = trained
    slow = write_config(tmp_path / 'slow.py',
                        max_epochs=1,
                        ckpt_interval=2,
                        extra="custom_imports = dict(imports=['mmmsf', "
                        "'loss_recorder', 'slow_writer'])")
    work = tmp_path / 'work'
    proc = subprocess.Popen(
        [sys.executable, TRAIN, slow, '--work-dir',
         str(work)],
        cwd=REPO_ROOT,
        env=train_env(MMMSF_TEST_SLOW_SAVE='iter_4.pth'),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True)
    deadline = time.time() + 240
    while not (work / 'saving').exists():
        if proc.poll() is not None or time.time() > deadline:
            proc.kill()
            pytest.fail('the run ended before saving iter_4.pth: ' +
                        proc.stderr.read()[-3000:])
        time.sleep(0.1)
    os.kill(proc.pid, signal.SIGKILL)  # half of iter_4.pth is written
    proc.wait(timeout=30)
    assert not (work / 'iter_4.pth').exists()  # never under its name
    assert (work / '.iter_4.pth.tmp').exists()
    assert osp.basename(
        (work / 'last_checkpoint').read_text().strip()) == 'iter_2.pth'

    resumed = run_train(slow, work, '--resume', 'auto')
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert 'Auto resumed from the latest checkpoint' in resumed.stdout + \
        resumed.stderr
    diff = max_loss_diff(read_losses(ref_work), read_losses(work))
    assert diff <= 1e-6
    assert torch.equal(
        _state(work / 'iter_4.pth')['memory.feats'],
        _state(ref_work / 'iter_4.pth')['memory.feats'])
