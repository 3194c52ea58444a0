# Copyright (c) mmmsf contributors. All rights reserved.
"""Step time of the CPU demo's training loop, side by side with its parts.

Trains each variant for a few iterations through the real mmengine Runner
(data loading, both forwards, backward, bank, hooks and logging included)
and reports the median wall time between consecutive iterations, after a
warm-up, with ratios to the demo measured in the same run:

- ``demo``: ``configs/msf_digits_cpu_demo.py`` as ``tools/run_demo.sh``
  trains it;
- ``demo_no_hooks``: the same model and data with mmmsf's hooks off (the
  five checks of ``default_hooks`` and every ``custom_hooks`` entry);
- ``byol``: mmpretrain's BYOL on the same backbone, data and loader
  (``configs/byol/byol_resnet18-w16_1xb128-coslr-30e_digits.py``).

- ``candidate`` (with ``--candidate KEY=VALUE ...``): the demo with those
  config changes, the way a setting is compared with the demo's.

Each variant runs in a fresh process, one after the other, so that thread
pools and data workers of one do not slow another; ``--repeats`` rounds
interleave the variants, and a ratio is the median over rounds of the
ratio within a round (shared machines drift by tens of per cent between
minutes, far less within one round). ``--cfg-options`` apply to every
variant. Writes JSON (``docs/benchmarks_demo_cpu.json`` by default;
``docs/benchmarks.md`` quotes it)::

    python tools/analysis_tools/benchmark_demo.py
    python tools/analysis_tools/benchmark_demo.py --variants demo \\
        --candidate train_dataloader.num_workers=1 \\
        --out work_dirs/benchmark_demo_workers.json
"""
import argparse
import json
import os
import os.path as osp
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Dict, List, Optional

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
DEMO = osp.join(REPO, 'configs', 'msf_digits_cpu_demo.py')
BYOL = osp.join(REPO, 'configs', 'byol',
                'byol_resnet18-w16_1xb128-coslr-30e_digits.py')
# the checks that configs/_base_/msf_runtime.py names in default_hooks
MMMSF_DEFAULT_HOOKS = ('memory_bank', 'input_check', 'rng_state',
                       'non_finite_loss', 'preemption')
VARIANTS = ('demo', 'demo_no_hooks', 'byol', 'candidate')


def variant_config(variant: str, work_dir: str, num_iters: int,
                   options: Optional[dict]):
    """The config of one variant, cut to ``num_iters`` iterations.

    Args:
        variant (str): One of :data:`VARIANTS`.
        work_dir (str): Where the run writes its logs.
        num_iters (int): Iterations to train (one epoch of this many
            batches).
        options (dict, optional): ``--cfg-options`` for every variant.

    Returns:
        Config: The config to build the runner from.
    """
    from mmengine.config import Config
    cfg = Config.fromfile(BYOL if variant == 'byol' else DEMO)
    cfg.work_dir = work_dir
    if options:
        cfg.merge_from_dict(options)
    batch = cfg.train_dataloader.batch_size
    cfg.train_dataloader.dataset.indices = num_iters * batch
    cfg.train_cfg.max_epochs = 1
    # no evaluation or checkpoint inside the timed window
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook', interval=10**6)
    for hook in cfg.custom_hooks:
        if hook.type == 'KNNMonitorHook':
            hook.eval_before_train = False
            hook.interval = 10**6
    if variant == 'demo_no_hooks':
        cfg.custom_hooks = []
        for key in MMMSF_DEFAULT_HOOKS:
            cfg.default_hooks[key] = None
    return cfg


def run_variant(variant: str, num_iters: int, warmup: int,
                options: Optional[dict]) -> Dict:
    """Train one variant in this process and time its iterations.

    Returns:
        dict: ``step_s`` (median seconds between iterations after
        ``warmup``), ``steps`` (all of them), ``threads`` and ``workers``.
    """
    import torch
    from mmengine.hooks import Hook
    from mmengine.registry import RUNNERS

    sys.path.insert(0, REPO)
    import mmmsf  # noqa: F401  (registers the configs' modules)

    class IterClock(Hook):
        """Wall time at the end of every training iteration."""
        priority = 'LOWEST'

        def __init__(self) -> None:
            self.stamps: List[float] = []

        def after_train_iter(self,
                             runner,
                             batch_idx,
                             data_batch=None,
                             outputs=None) -> None:
            self.stamps.append(time.perf_counter())

    with tempfile.TemporaryDirectory() as work_dir:
        cfg = variant_config(variant, work_dir, num_iters + warmup + 1,
                             options)
        runner = RUNNERS.build(cfg)
        clock = IterClock()
        runner.register_hook(clock)
        runner.train()
    steps = [b - a for a, b in zip(clock.stamps, clock.stamps[1:])][warmup:]
    return dict(step_s=statistics.median(steps),
                steps=steps,
                threads=torch.get_num_threads(),
                workers=cfg.train_dataloader.num_workers)


def parse_args() -> argparse.Namespace:
    from mmengine.config import DictAction
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--iters',
                        type=int,
                        default=20,
                        help='timed iterations per variant')
    parser.add_argument('--warmup',
                        type=int,
                        default=4,
                        help='iterations before timing starts')
    parser.add_argument('--variants',
                        nargs='+',
                        choices=VARIANTS[:3],
                        default=list(VARIANTS[:3]))
    parser.add_argument('--candidate',
                        nargs='+',
                        action=DictAction,
                        help='config changes of the `candidate` variant')
    parser.add_argument('--repeats',
                        type=int,
                        default=3,
                        help='interleaved rounds over the variants')
    parser.add_argument('--out',
                        default=osp.join(REPO, 'docs',
                                         'benchmarks_demo_cpu.json'),
                        help='JSON to write')
    parser.add_argument('--cfg-options',
                        nargs='+',
                        action=DictAction,
                        help='config overrides for every variant')
    parser.add_argument('--child', help=argparse.SUPPRESS)
    return parser.parse_args()


def run_child(args: argparse.Namespace, variant: str, options: dict) -> Dict:
    """Time one variant in a fresh process (see :func:`run_variant`)."""
    if variant == 'candidate':
        options = {**options, **args.candidate}
        variant = 'demo'
    cmd = [
        sys.executable, '-W', 'ignore',
        osp.abspath(__file__), '--child', variant, '--iters',
        str(args.iters), '--warmup',
        str(args.warmup)
    ]
    if options:
        cmd += ['--cfg-options'] + [f'{k}={v}' for k, v in options.items()]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    lines = [
        line for line in proc.stdout.splitlines() if line.startswith('RESULT ')
    ]
    if proc.returncode != 0 or not lines:
        sys.exit(f'{variant} failed:\n{proc.stderr[-3000:]}')
    return json.loads(lines[-1][len('RESULT '):])


def main() -> None:
    args = parse_args()
    options = dict(args.cfg_options or {})
    if args.child:  # one variant, in its own process
        result = run_variant(args.child, args.iters, args.warmup, options)
        print('RESULT ' + json.dumps(result))
        return
    variants = list(args.variants)
    if args.candidate:
        variants.append('candidate')
    rounds: List[Dict[str, Dict]] = []
    for _ in range(args.repeats):
        rounds.append({})
        for variant in variants:
            rounds[-1][variant] = run_child(args, variant, options)
            print(
                f'{variant:>14}: {rounds[-1][variant]["step_s"]:.3f} '
                's/iter',
                flush=True)
    results = {
        variant:
        dict(step_s=statistics.median(r[variant]['step_s'] for r in rounds),
             rounds=[r[variant] for r in rounds])
        for variant in variants
    }
    ratios = {
        f'{variant}/demo':
        round(
            statistics.median(r[variant]['step_s'] / r['demo']['step_s']
                              for r in rounds), 3)
        for variant in variants if variant != 'demo' and 'demo' in variants
    }
    for name, ratio in ratios.items():
        print(f'{name:>19}: {ratio:.3f} (median over {args.repeats} rounds)')
    report = dict(
        what='median seconds per training iteration of the CPU demo loop',
        command='python tools/analysis_tools/benchmark_demo.py ' +
        ' '.join(sys.argv[1:]),
        machine=dict(cpu_count=os.cpu_count(),
                     platform=platform.platform(),
                     python=platform.python_version()),
        iters=args.iters,
        warmup=args.warmup,
        repeats=args.repeats,
        cfg_options=options,
        candidate=dict(args.candidate or {}),
        results=results,
        ratios=ratios)
    os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
    with open(args.out, 'w') as f:
        json.dump(report, f, indent=2)
    print(f'written to {args.out}')


if __name__ == '__main__':
    main()
