# Copyright (c) mmmsf contributors. All rights reserved.
"""Config handling shared by the entry points under ``tools/``."""
import os.path as osp
from argparse import Namespace

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


def destroy_process_group() -> None:
    """Leave the process group cleanly at the end of a run.

    Exiting with a live gloo group can abort a rank in its C++ teardown
    ("terminate called without an active exception") after the work is
    done, which torchrun reports as a failed job.
    """
    import torch.distributed as dist
    if dist.is_available() and dist.is_initialized():
        dist.barrier()
        dist.destroy_process_group()
