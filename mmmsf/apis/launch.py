# Copyright (c) mmmsf contributors. All rights reserved.
"""Launch helpers shared by the entry points under ``tools/``: flags,
config loading, CPU process groups and their teardown."""
import os.path as osp
import runpy
from argparse import Namespace
from typing import Callable

import torch
from mmengine.config import Config, DictAction
from mmengine.logging import print_log


def add_common_args(parser) -> None:
    """Flags shared by ``tools/train.py`` and ``tools/test.py`` (as in
    mmpretrain, so users keep their habits)."""
    parser.add_argument('config', help='config file path')
    parser.add_argument('--work-dir', help='the dir to save logs and models')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override settings of the config, key=value pairs such as '
        '"model.memory.size=128000 train_dataloader.batch_size=64"')
    parser.add_argument('--launcher',
                        choices=['none', 'pytorch', 'slurm', 'mpi'],
                        default='none',
                        help='job launcher')
    # torch.distributed.launch passes --local_rank / --local-rank
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)


def load_config(args: Namespace) -> Config:
    """Load ``args.config`` and apply the common flags.

    The work dir follows mmpretrain: ``--work-dir`` > the config's
    ``work_dir`` > ``./work_dirs/<config name>``.

    Args:
        args (Namespace): Parsed arguments of :func:`add_common_args`.

    Returns:
        Config: The config ready for ``Runner.from_cfg``.
    """
    if not osp.isfile(args.config):
        raise FileNotFoundError(f'config file not found: {args.config}')
    cfg = Config.fromfile(args.config)
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    cfg.launcher = args.launcher
    if args.launcher != 'none' and not torch.cuda.is_available():
        adapt_to_cpu_distributed(cfg)
        if args.launcher == 'pytorch':
            init_cpu_process_group(cfg)
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(args.config))[0])
    return cfg


def mmpretrain_merge_args(tool: str) -> Callable:
    """``merge_args`` of mmpretrain's own ``tools/<tool>.py`` (shipped as
    ``mmpretrain/.mim/tools``), so that our entry points resolve a config
    exactly as mmpretrain's do: its dataloader defaults (``pin_memory``,
    ``persistent_workers``, ``default_collate``), its flags and
    ``--cfg-options`` applied last.

    Args:
        tool (str): ``'train'`` or ``'test'``.

    Returns:
        Callable: ``merge_args(cfg, args) -> cfg``.
    """
    import mmpretrain
    path = osp.join(osp.dirname(mmpretrain.__file__), '.mim', 'tools',
                    f'{tool}.py')
    if not osp.isfile(path):
        raise FileNotFoundError(
            f'mmpretrain\'s tools/{tool}.py is not at {path}: this '
            f'mmpretrain install has no .mim folder (an editable install '
            f'of its source tree?). Install mmpretrain as a package: '
            f'`pip install mmpretrain` or `mim install mmpretrain`.')
    return runpy.run_path(path, run_name=f'mmpretrain_{tool}')['merge_args']


def adapt_to_cpu_distributed(cfg: Config) -> None:
    """Let a distributed launch run on CPU-only machines.

    NCCL needs GPUs, and DDP must not be given device ids for CPU modules,
    so switch to gloo and drop the device ids (a no-op where set already).

    Args:
        cfg (Config): The config to adapt in place.
    """
    env_cfg = cfg.setdefault('env_cfg', {})
    dist_cfg = env_cfg.setdefault('dist_cfg', {})
    if dist_cfg.get('backend', 'nccl') == 'nccl':
        print_log('No CUDA device: using the gloo backend.', logger='current')
        dist_cfg['backend'] = 'gloo'
    wrapper = cfg.get('model_wrapper_cfg') or dict(
        type='MMDistributedDataParallel')
    wrapper['device_ids'] = None
    cfg.model_wrapper_cfg = wrapper


def init_cpu_process_group(cfg: Config) -> None:
    """Join the torchrun process group with gloo on a machine without CUDA.

    mmengine's ``init_dist`` calls ``torch.cuda.set_device``, which fails
    where no GPU driver exists; the Runner skips it when a group is already
    initialised.

    Args:
        cfg (Config): Config whose ``env_cfg.dist_cfg`` may set a timeout.
    """
    import torch.distributed as dist
    if dist.is_available() and not dist.is_initialized():
        dist.init_process_group(backend=cfg.env_cfg.dist_cfg.backend)


def build_runner(cfg: Config):
    """The config's ``runner_type`` (e.g. ``CheckpointSafeRunner``), else
    mmengine's
    :class:`~mmengine.runner.Runner`.

    Args:
        cfg (Config): The full config.

    Returns:
        Runner: The runner.
    """
    from mmengine.registry import RUNNERS
    from mmengine.runner import Runner
    if 'runner_type' in cfg:
        return RUNNERS.build(cfg)
    return Runner.from_cfg(cfg)


def enable_fault_handler() -> None:
    """Print every thread's Python stack if native code crashes (e.g. an
    abort in a process-group teardown).

    A no-op where ``sys.stderr`` is not a real file (captured output).
    """
    import faulthandler
    import io
    import sys
    try:
        faulthandler.enable(file=sys.stderr)
    except (AttributeError, ValueError, io.UnsupportedOperation):
        pass


def destroy_process_group(timeout_s: float = 300.) -> bool:
    """Leave the process group cleanly at the end of a run.

    Exiting with a live gloo group can abort a rank in its C++ teardown
    ("terminate called without an active exception") after the work is
    done, which torchrun reports as a failed job. The teardown is therefore
    made deterministic: the caller drops its Runner first (the DDP wrapper
    holds a reference to the group), cycles are collected so the group is
    really freed here rather than during interpreter shutdown, and the ranks
    wait for each other on the rendezvous store after the group is gone, so
    no rank exits (closing its sockets) while another is still tearing its
    group down.

    Args:
        timeout_s (float): How long to wait for the other ranks at the
            final rendezvous. Defaults to 300.

    Returns:
        bool: True when a group was left and every rank had freed its
        group before this one returned.
    """
    import gc
    import warnings
    import weakref

    import torch.distributed as dist
    if not (dist.is_available() and dist.is_initialized()):
        return False
    gc.collect()  # free DDP wrappers left in reference cycles
    rank, world_size = dist.get_rank(), dist.get_world_size()
    try:
        store = dist.distributed_c10d._get_default_store()
    except (AttributeError, RuntimeError):  # private API: best effort
        store = None
    group = weakref.ref(dist.group.WORLD)
    dist.barrier()
    dist.destroy_process_group()
    gc.collect()
    if group() is not None:
        warnings.warn(
            'destroy_process_group: the process group is still referenced '
            '(a DistributedDataParallel model or a Runner still alive?); '
            'it will be torn down at interpreter exit, which can abort the '
            'process. Drop those objects first.')
    if store is None or world_size == 1:
        return group() is None
    # Every rank has freed its group once the counter reaches world_size.
    # Rank 0 leaves last: outside torchrun it hosts the store.
    store.add('mmmsf/exit', 1)
    if not _wait_count(store, 'mmmsf/exit', world_size, timeout_s):
        return False
    if rank != 0:
        store.add('mmmsf/exit_ack', 1)
        return group() is None
    return (_wait_count(store, 'mmmsf/exit_ack', world_size - 1, timeout_s)
            and group() is None)


def _wait_count(store, key: str, target: int, timeout_s: float) -> bool:
    """Poll a store counter until it reaches ``target``; False on timeout
    (a rank that died is reported by the launcher, not here)."""
    import time
    deadline = time.monotonic() + timeout_s
    while store.add(key, 0) < target:
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True
