# Copyright (c) mmmsf contributors. All rights reserved.
"""Benchmark `Mean Shift for Self-Supervised Learning
<https://arxiv.org/abs/2105.07269>`_ (MSF) side by side with its baselines
and write the figures to JSON (``docs/benchmarks.md`` quotes them).

Three measurements, timed with :class:`torch.utils.benchmark.Timer`:

- (a) :func:`bench_step_time`: one training step (forward ``'loss'``,
  backward, SGD step) of MSF against mmpretrain's BYOL, interleaved.
- (b) :func:`bench_bank_search`: time and peak extra memory of the chunked
  bank search + mean-shift loss against the official code's full
  ``batch x bank`` distance matrices.
- (c) :func:`bench_pipelines`: images/s of one data worker for the two-view
  pipeline of mmmsf against the torchvision equivalent.

The JSON goes to ``docs/benchmarks_<device>.json`` unless ``--out-json``
says otherwise (``--smoke`` runs to ``work_dirs/``); the Markdown tables
are printed and, with ``--out-md``, written to that file. Examples::

    python tools/analysis_tools/benchmark_msf.py --smoke
    python tools/analysis_tools/benchmark_msf.py --device cpu \\
        --input-size 64 --steps 15
    python tools/analysis_tools/benchmark_msf.py --device cuda \\
        --depth 50 --batch 32 --bank-size 1024000 --input-size 224 \\
        --search-queries 256 --search-dim 512
"""
import argparse
import datetime
import json
import os
import os.path as osp
import platform
import random
import statistics
import sys
import tempfile
from typing import Callable, Dict, List, Optional, Sequence

import mmpretrain
import numpy as np
import torch
import torch.nn.functional as F
from mmengine.config import Config
from mmengine.logging import MessageHub
from mmengine.registry import DefaultScope
from mmengine.utils.dl_utils import collect_env
from mmpretrain.registry import MODELS, TRANSFORMS
from mmpretrain.structures import DataSample
from torch.utils.benchmark import Timer

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, REPO)
from mmmsf.models.memories import MemoryBank

TARGETS = dict(step_ratio=1.05, pipeline_ratio=1.0)


def environment(device: torch.device) -> Dict[str, str]:
    """Machine, device, library versions and date of a measurement.

    The versions come from mmengine's ``collect_env`` (mmpretrain's adds
    the git hash of the working directory, here mmmsf's, to its version);
    the CPU model from ``/proc/cpuinfo``, which it lacks.

    Args:
        device (torch.device): The device the figures are measured on.

    Returns:
        dict[str, str]: ``cpu``, ``cores``, ``device``, versions, ``date``.
    """
    env = collect_env()
    cpu = platform.processor() or platform.machine()
    if osp.exists('/proc/cpuinfo'):
        with open('/proc/cpuinfo') as f:
            names = [
                line.split(':', 1)[1].strip() for line in f
                if line.startswith('model name')
            ]
        cpu = names[0] if names else cpu
    name = 'cpu'
    if device.type == 'cuda':
        name = torch.cuda.get_device_name(device)
    return dict(cpu=cpu,
                cores=str(os.cpu_count()),
                torch_threads=str(torch.get_num_threads()),
                device=f'{device.type} ({name})',
                torch=env['PyTorch'],
                torchvision=env['TorchVision'],
                mmengine=env['MMEngine'],
                mmpretrain=mmpretrain.__version__,
                date=datetime.datetime.now(
                    datetime.timezone.utc).strftime('%Y-%m-%d %H:%M UTC'))


def time_call(fn: Callable[[], None],
              number: int = 1,
              num_threads: Optional[int] = None) -> float:
    """Mean seconds of ``number`` calls of ``fn`` (after two warm-up calls).

    Measured by :class:`torch.utils.benchmark.Timer`, which synchronises
    the accelerator around the timed calls.

    Args:
        fn (Callable): The work to time.
        number (int): Timed calls. Defaults to 1.
        num_threads (int, optional): torch threads while timing. Defaults
            to the current number.

    Returns:
        float: Seconds per call.
    """
    timer = Timer(stmt='fn()',
                  globals=dict(fn=fn),
                  num_threads=num_threads or torch.get_num_threads())
    return timer.timeit(number).mean


class PeakMemory:
    """Peak memory allocated by tensors inside a ``with`` block.

    On CUDA it reads ``torch.cuda.max_memory_allocated``; on CPU it replays
    the allocator's allocation and free events recorded by
    ``torch.profiler`` (``profile_memory=True``). Both count bytes of
    tensors allocated *after* entering, so ``peak`` is the extra memory of
    the block.

    Args:
        device (torch.device): Where the block allocates.
    """

    def __init__(self, device: torch.device) -> None:
        self.device = device
        self.peak = 0
        self.method = ('torch.cuda.max_memory_allocated' if device.type
                       == 'cuda' else 'torch.profiler CPU allocator events')

    def __enter__(self) -> 'PeakMemory':
        if self.device.type == 'cuda':
            torch.cuda.synchronize(self.device)
            torch.cuda.reset_peak_memory_stats(self.device)
            self._base = torch.cuda.memory_allocated(self.device)
        else:
            from torch.profiler import ProfilerActivity, profile
            self._prof = profile(activities=[ProfilerActivity.CPU],
                                 profile_memory=True)
            self._prof.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        if self.device.type == 'cuda':
            torch.cuda.synchronize(self.device)
            self.peak = torch.cuda.max_memory_allocated(
                self.device) - self._base
            return
        self._prof.__exit__(*exc)
        events = [
            e for e in self._prof.profiler.kineto_results.events()
            if e.name() == '[memory]'
        ]
        current = 0
        for event in sorted(events, key=lambda e: e.start_ns()):
            current += event.nbytes()
            self.peak = max(self.peak, current)


# --------------------------------------------------------------------------
# (a) training step: MSF vs BYOL
# --------------------------------------------------------------------------
def model_cfgs(depth: int = 18,
               dim: int = 256,
               hid: int = 4096,
               bank_size: int = 128000,
               topk: int = 5,
               batch: int = 64) -> Dict[str, dict]:
    """Configs of MSF and mmpretrain's BYOL sharing backbone and MLPs.

    Besides ``msf`` and ``byol`` (symmetric loss, two passes per network),
    ``msf_topk1`` is MSF with ``topk=1`` over a bank of one batch: exactly
    the asymmetric BYOL loss (see :class:`MeanShiftHead`), the same step as
    MSF without the cost of the bank.
    """
    in_channels = 512 if depth in (18, 34) else 2048
    backbone = dict(type='ResNet',
                    depth=depth,
                    norm_cfg=dict(type='BN'),
                    zero_init_residual=False)
    mlp = dict(type='NonLinearNeck',
               hid_channels=hid,
               out_channels=dim,
               num_layers=2,
               with_bias=True,
               with_last_bn=False,
               with_last_bias=True,
               norm_cfg=dict(type='BN1d'))
    neck = dict(mlp, in_channels=in_channels, with_avg_pool=True)
    predictor = dict(mlp, in_channels=dim, with_avg_pool=False)
    msf = dict(type='MSF',
               momentum=0.01,
               backbone=backbone,
               neck=neck,
               head=dict(type='MeanShiftHead', topk=topk, predictor=predictor),
               memory=dict(type='MemoryBank', size=bank_size, dim=dim))
    byol = dict(type='BYOL',
                base_momentum=0.01,
                backbone=backbone,
                neck=neck,
                head=dict(type='LatentPredictHead',
                          loss=dict(type='CosineSimilarityLoss'),
                          predictor=predictor))
    return dict(msf=msf,
                byol=byol,
                msf_topk1=dict(msf,
                               head=dict(msf['head'], topk=1),
                               memory=dict(msf['memory'], size=batch)))


def bench_step_time(device: torch.device,
                    depth: int = 18,
                    batch: int = 64,
                    input_size: int = 64,
                    bank_size: int = 128000,
                    steps: int = 20,
                    warmup: int = 3,
                    hid: int = 4096,
                    amp: bool = False) -> Dict:
    """Median training-step time of MSF, BYOL and MSF-topk1, interleaved.

    Each round runs one timed step of every model, in a rotating order, so
    that drifts of a shared machine hit all of them alike;
    :class:`torch.utils.benchmark.Timer` runs two untimed steps of the same
    model before each timed one.

    Args:
        device (torch.device): Device.
        depth (int): ResNet depth. Defaults to 18.
        batch (int): Images per step. Defaults to 64.
        input_size (int): Side of the square inputs. Defaults to 64.
        bank_size (int): MSF bank size. Defaults to 128000.
        steps (int): Timed steps per model. Defaults to 20.
        warmup (int): Untimed steps per model first. Defaults to 3.
        hid (int): Hidden width of projector and predictor.
            Defaults to 4096.
        amp (bool): Run forward passes under ``torch.autocast``.
            Defaults to False.

    Returns:
        dict: Settings, per-model median seconds and the ratios.
    """
    cfgs = model_cfgs(depth=depth, hid=hid, bank_size=bank_size, batch=batch)
    # BYOL's CosineEMA reads the schedule length from the message hub
    MessageHub.get_current_instance().update_info('max_iters', 10**6)
    torch.manual_seed(0)
    models, optims = {}, {}
    for name, cfg in cfgs.items():
        models[name] = MODELS.build(cfg).to(device).train()
        optims[name] = torch.optim.SGD(models[name].parameters(),
                                       lr=0.05,
                                       momentum=0.9,
                                       weight_decay=1e-4)
    inputs = [
        torch.randn(batch, 3, input_size, input_size, device=device)
        for _ in range(2)
    ]
    samples = [DataSample() for _ in range(batch)]

    def step(name: str) -> None:
        with torch.autocast(device.type, enabled=amp):
            losses = models[name](inputs, samples, mode='loss')
        loss = sum(v for k, v in losses.items() if 'loss' in k)
        optims[name].zero_grad(set_to_none=True)
        loss.backward()
        optims[name].step()

    names = list(models)
    times = {name: [] for name in names}
    for i in range(warmup + steps):
        order = names[i % len(names):] + names[:i % len(names)]
        for name in order:
            if i < warmup:
                step(name)
            else:
                times[name].append(time_call(lambda: step(name)))
    median = {name: statistics.median(t) for name, t in times.items()}
    return dict(backbone=f'ResNet-{depth}',
                batch=batch,
                input_size=input_size,
                bank_size=bank_size,
                hid=hid,
                topk=cfgs['msf']['head']['topk'],
                precision='amp' if amp else 'float32',
                steps=steps,
                warmup=warmup,
                median_s=median,
                ratio_msf_byol=median['msf'] / median['byol'],
                ratio_msf_msf_topk1=median['msf'] / median['msf_topk1'])


# --------------------------------------------------------------------------
# (b) bank search + loss: chunked vs naive
# --------------------------------------------------------------------------
def naive_mean_shift_loss(pred: torch.Tensor, target: torch.Tensor,
                          queue: torch.Tensor, k: int) -> torch.Tensor:
    """The mean-shift loss written as in the official code.

    Two full ``batch x bank`` distance matrices against a clone of the
    queue; the gradient flows back through the second one.
    """
    queue = queue.clone().detach()
    dist_t = 2 - 2 * torch.einsum('bc,kc->bk',
                                  [target, queue.to(target.dtype)])
    dist_q = 2 - 2 * torch.einsum('bc,kc->bk', [pred, queue.to(pred.dtype)])
    _, nn_index = dist_t.topk(k, dim=1, largest=False)
    nn_dist_q = torch.gather(dist_q, 1, nn_index)
    return (nn_dist_q.sum(dim=1) / k).mean()


def chunked_mean_shift_loss(pred: torch.Tensor, target: torch.Tensor,
                            bank: MemoryBank, k: int) -> torch.Tensor:
    """The mean-shift loss of :class:`MeanShiftHead` over ``bank``."""
    _, nbrs, _ = bank.knn(target, k)
    return (2 - 2 * torch.einsum('nd,nkd->nk', pred, nbrs)).mean()


def bench_bank_search(device: torch.device,
                      sizes: Sequence[int] = (16000, 128000, 1024000),
                      dtypes: Sequence[str] = ('float32', 'float16',
                                               'bfloat16'),
                      chunks: Sequence[int] = (4096, 65536),
                      batch: int = 64,
                      dim: int = 256,
                      k: int = 5,
                      repeats: int = 3) -> List[Dict]:
    """Time and peak extra memory of search + loss + backward.

    The chunked rows use :meth:`MemoryBank.knn`; the naive row of each
    bank size and dtype uses :func:`naive_mean_shift_loss`. The bound is
    the target ``batch x chunk x 4 + batch x k x dim x 4`` bytes.

    Returns:
        list[dict]: One row per implementation, size, dtype and chunk.
    """
    rows = []
    gen = torch.Generator().manual_seed(0)
    target = F.normalize(torch.randn(batch, dim, generator=gen), dim=1)
    pred = F.normalize(torch.randn(batch, dim, generator=gen), dim=1)
    target, pred = target.to(device), pred.to(device).requires_grad_()
    for size in sizes:
        for dtype in dtypes:
            bank = MemoryBank(size=size, dim=dim, dtype=dtype).to(device)
            variants = [('naive', None)] + [('chunked', c) for c in chunks]
            for impl, chunk in variants:
                if impl == 'naive':

                    def run() -> None:
                        naive_mean_shift_loss(pred, target, bank.feats,
                                              k).backward()
                else:
                    bank.chunk_size = chunk

                    def run() -> None:
                        chunked_mean_shift_loss(pred, target, bank,
                                                k).backward()

                seconds = time_call(run, number=repeats)
                with PeakMemory(device) as mem:
                    run()
                pred.grad = None
                row = dict(impl=impl,
                           bank_size=size,
                           dtype=dtype,
                           chunk_size=chunk,
                           batch=batch,
                           dim=dim,
                           k=k,
                           seconds=seconds,
                           peak_extra_bytes=mem.peak,
                           memory_method=mem.method)
                if chunk is not None:
                    row['bound_bytes'] = batch * (chunk * 4 + k * dim * 4)
                    row['within_bound'] = mem.peak <= row['bound_bytes']
                rows.append(row)
    return rows


# --------------------------------------------------------------------------
# (c) two-view data pipeline: mmpretrain + MeanShiftViews vs torchvision
# --------------------------------------------------------------------------
def make_images(folder: str,
                num: int,
                size=(500, 375),
                seed: int = 0) -> List[str]:
    """Write ``num`` synthetic JPEGs (smooth colour fields plus noise)."""
    from PIL import Image
    rng = np.random.default_rng(seed)
    paths = []
    w, h = size
    for i in range(num):
        coarse = rng.uniform(0, 255, (h // 25 + 1, w // 25 + 1, 3))
        img = Image.fromarray(coarse.astype(np.uint8)).resize((w, h),
                                                              Image.BICUBIC)
        arr = np.asarray(img).astype(np.int16)
        arr = arr + rng.integers(-20, 20, arr.shape)
        path = osp.join(folder, f'{i:05d}.jpg')
        Image.fromarray(arr.clip(0, 255).astype(np.uint8)).save(path,
                                                                quality=90)
        paths.append(path)
    return paths


def mmmsf_pipeline(dataset_cfg: str) -> Callable[[str], object]:
    """The ``train_pipeline`` of a dataset config, as a path -> views fn."""
    import mmmsf  # noqa: F401  (registers MeanShiftViews)
    cfg = Config.fromfile(dataset_cfg)
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        pipeline = [TRANSFORMS.build(t) for t in cfg.train_pipeline]

    def run(path: str):
        results = dict(img_path=path)
        for transform in pipeline:
            results = transform(results)
        return results['inputs']

    return run


def check_pipeline(fn: Callable[[str], object],
                   path: str,
                   tries: int = 20) -> Optional[str]:
    """Run ``fn`` a few times; return the first error as text, or None."""
    try:
        for _ in range(tries):
            fn(path)
    except Exception as e:  # noqa: B902  (reported, not hidden)
        return f'{type(e).__name__}: {e}'
    return None


def torchvision_pipeline(size: int = 224) -> Callable[[str], object]:
    """The same two views with torchvision and PIL, as the official code.

    The blur is the official MSF / MoCo v2 ``PIL.ImageFilter`` blur with
    sigma in [0.1, 2]; outputs are uint8 tensors like ``PackInputs``.
    """
    from PIL import Image, ImageFilter
    from torchvision import transforms as T

    def blur(img):
        return img.filter(
            ImageFilter.GaussianBlur(radius=random.uniform(0.1, 2.0)))

    weak = T.Compose([
        T.RandomResizedCrop(size, scale=(0.2, 1.0)),
        T.RandomHorizontalFlip(),
        T.PILToTensor()
    ])
    strong = T.Compose([
        T.RandomResizedCrop(size, scale=(0.2, 1.0)),
        T.RandomApply([T.ColorJitter(0.4, 0.4, 0.4, 0.1)], p=0.8),
        T.RandomGrayscale(p=0.2),
        T.RandomApply([T.Lambda(blur)], p=0.5),
        T.RandomHorizontalFlip(),
        T.PILToTensor()
    ])

    def run(path: str):
        with open(path, 'rb') as f:
            img = Image.open(f).convert('RGB')
        return [strong(img), weak(img)]  # [online, target] for 'w/s'

    return run


def bench_pipelines(dataset_cfg: str,
                    paths: Sequence[str],
                    rounds: int = 3,
                    extra: Optional[Dict[str, Callable]] = None) -> Dict:
    """Images/s of one worker (one thread) for each pipeline, interleaved.

    Args:
        dataset_cfg (str): Dataset config holding ``train_pipeline``.
        paths (Sequence[str]): Image files.
        rounds (int): Interleaved passes over ``paths``. Defaults to 3.
        extra (dict, optional): More ``name -> path fn`` pipelines.

    Returns:
        dict: Median images/s per pipeline and the ratio to torchvision.
    """
    import cv2
    mmmsf = mmmsf_pipeline(dataset_cfg)
    error = check_pipeline(mmmsf, paths[0])
    pipelines = dict(mmmsf=mmmsf, torchvision=torchvision_pipeline())
    pipelines.update(extra or {})
    threads, cv2_threads = torch.get_num_threads(), cv2.getNumThreads()
    # a DataLoader worker: one torch thread, one OpenCV thread
    torch.set_num_threads(1)
    cv2.setNumThreads(1)
    rates = {name: [] for name in pipelines}
    if error:
        raise RuntimeError(f'the configured two-view pipeline fails: {error}')
    try:
        for fn in pipelines.values():
            fn(paths[0])  # warm-up
        names = list(pipelines)
        for i in range(rounds):
            for name in names[i % len(names):] + names[:i % len(names)]:

                def one_pass(fn=pipelines[name]) -> None:
                    for path in paths:
                        fn(path)

                rates[name].append(
                    len(paths) / time_call(one_pass, num_threads=1))
    finally:
        torch.set_num_threads(threads)
        cv2.setNumThreads(cv2_threads)
    median = {name: statistics.median(r) for name, r in rates.items()}
    return dict(images=len(paths),
                rounds=rounds,
                views_per_image=2,
                images_per_s=median,
                ratio_mmmsf_torchvision=median['mmmsf'] /
                median['torchvision'])


# --------------------------------------------------------------------------
# report
# --------------------------------------------------------------------------
def _env_tag(env: Dict[str, str]) -> str:
    return (f"{env['cpu']} x{env['cores']}, {env['device']}, torch "
            f"{env['torch'].split('+')[0]} / mmengine {env['mmengine']} / "
            f"mmpretrain {env['mmpretrain']}, {env['date'][:10]}")


def _mib(num: float) -> str:
    return f'{num / 2**20:.2f}'


def to_markdown(result: Dict, targets: Dict[str, float]) -> str:
    """Markdown tables of one run of the benchmark tool.

    Args:
        result (dict): The JSON written by the tool.
        targets (dict): ``step_ratio`` and ``pipeline_ratio`` targets.

    Returns:
        str: The Markdown section (no surrounding markers).
    """
    env = result['env']
    tag = _env_tag(env)
    lines = [
        f"### {env['device']}{' (smoke)' if result['smoke'] else ''}", '',
        f"Measured on: {env['cpu']} ({env['cores']} cores, "
        f"{env['torch_threads']} torch threads), {env['device']}, torch "
        f"{env['torch']}, torchvision {env['torchvision']}, mmengine "
        f"{env['mmengine']}, mmpretrain {env['mmpretrain']}, {env['date']}.",
        ''
    ]
    step = result.get('step_time')
    if step:
        ok = step['ratio_msf_byol'] <= targets['step_ratio']
        lines += [
            f"**(a) Training step** ({step['backbone']}, batch "
            f"{step['batch']}, {step['input_size']}x{step['input_size']} "
            f"inputs, bank {step['bank_size']}, topk {step['topk']}, "
            f"{step['precision']}; forward `loss` + backward + SGD step; "
            f"median of {step['steps']} interleaved steps after "
            f"{step['warmup']} warm-up steps, each timed step after two "
            'untimed ones of torch.utils.benchmark).', '',
            '| model | median step (s) | measured on |', '|---|---|---|'
        ]
        for name, sec in step['median_s'].items():
            lines.append(f'| {name} | {sec:.4f} | {tag} |')
        lines += [
            f"| **MSF / BYOL** | **{step['ratio_msf_byol']:.3f}** (target "
            f"<= {targets['step_ratio']}: {'met' if ok else 'missed'}) | "
            f'{tag} |', f"| MSF / MSF-topk1 (bank cost) | "
            f"{step['ratio_msf_msf_topk1']:.3f} | {tag} |", ''
        ]
    rows = result.get('bank_search')
    if rows:
        lines += [
            '**(b) Bank search + loss + backward** (time: mean of the timed '
            'calls after two warm-up calls; peak '
            f"extra memory: {rows[0]['memory_method']}; bound = batch x "
            'chunk x 4 B + batch x k x dim x 4 B).', '',
            '| impl | bank | dtype | chunk | time (ms) | peak extra (MiB) '
            '| bound (MiB) | within | measured on |',
            '|---|---|---|---|---|---|---|---|---|'
        ]
        for r in rows:
            bound = _mib(r['bound_bytes']) if 'bound_bytes' in r else '-'
            within = {True: 'yes', False: 'no'}.get(r.get('within_bound'), '-')
            lines.append(
                f"| {r['impl']} | {r['bank_size']} | {r['dtype']} | "
                f"{r['chunk_size'] or '-'} | {r['seconds'] * 1e3:.1f} | "
                f"{_mib(r['peak_extra_bytes'])} | {bound} | {within} | "
                f'{tag} |')
        lines.append('')
    pipe = result.get('pipeline')
    if pipe:
        ok = pipe['ratio_mmmsf_torchvision'] >= targets['pipeline_ratio']
        lines += [
            f"**(c) Two-view pipeline, one worker** ({pipe['images']} "
            f"synthetic JPEGs {result['settings']['image_size']}, 224 "
            f"crops, 'w/s' views, median of {pipe['rounds']} interleaved "
            'passes; one torch and one OpenCV thread).', '',
            '| pipeline | images/s | measured on |', '|---|---|---|'
        ]
        for name, rate in pipe['images_per_s'].items():
            lines.append(f'| {name} | {rate:.1f} | {tag} |')
        lines += [
            f"| **mmmsf / torchvision** | "
            f"**{pipe['ratio_mmmsf_torchvision']:.3f}** (target >= "
            f"{targets['pipeline_ratio']}: {'met' if ok else 'missed'}) | "
            f'{tag} |', ''
        ]
    return '\n'.join(lines)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument(
        '--device',
        default='cuda' if torch.cuda.is_available() else 'cpu',
        help='device of (a) and (b); (c) always runs on the CPU')
    parser.add_argument('--smoke',
                        action='store_true',
                        help='tiny sizes, seconds')
    parser.add_argument('--depth', type=int, default=18, help='ResNet depth')
    parser.add_argument('--batch', type=int, default=64)
    parser.add_argument('--input-size', type=int, default=224)
    parser.add_argument('--bank-size', type=int, default=128000)
    parser.add_argument('--steps', type=int, default=20)
    parser.add_argument('--search-queries',
                        type=int,
                        help='queries of the bank search (b); '
                        'defaults to --batch')
    parser.add_argument('--search-dim',
                        type=int,
                        default=256,
                        help='embedding dimension of the bank search (b)')
    parser.add_argument('--amp', action='store_true')
    parser.add_argument('--images', type=int, default=200)
    parser.add_argument('--skip',
                        nargs='*',
                        default=[],
                        choices=['step', 'bank', 'pipeline'],
                        help='parts to leave out')
    parser.add_argument(
        '--out-json',
        help='write the figures here (default: docs/benchmarks_<device>.json'
        ', with --smoke work_dirs/benchmarks_<device>-smoke.json)')
    parser.add_argument('--out-md',
                        help='also write the Markdown tables to this file')
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    device = torch.device(args.device)
    if args.smoke:
        step = dict(batch=2,
                    input_size=32,
                    bank_size=1024,
                    steps=1,
                    warmup=1,
                    hid=64)
        bank = dict(sizes=(1024, ),
                    dtypes=('float32', 'float16'),
                    chunks=(256, 1024),
                    batch=4,
                    dim=32,
                    repeats=1)
        images, image_size, rounds = 2, (160, 120), 1
    else:
        step = dict(batch=args.batch,
                    input_size=args.input_size,
                    bank_size=args.bank_size,
                    steps=args.steps,
                    warmup=3)
        bank = dict(batch=args.search_queries or args.batch,
                    dim=args.search_dim)
        images, image_size, rounds = args.images, (500, 375), 3
    result = dict(env=environment(device),
                  smoke=args.smoke,
                  targets=TARGETS,
                  settings=dict(image_size=f'{image_size[0]}x{image_size[1]}'))
    if 'step' not in args.skip:
        result['step_time'] = bench_step_time(device,
                                              depth=args.depth,
                                              amp=args.amp,
                                              **step)
    if 'bank' not in args.skip:
        result['bank_search'] = bench_bank_search(device, **bank)
    if 'pipeline' not in args.skip:
        dataset_cfg = osp.join(REPO, 'configs', '_base_', 'datasets',
                               'imagenet_bs32_msf.py')
        with tempfile.TemporaryDirectory() as folder:
            paths = make_images(folder, images, image_size)
            result['pipeline'] = bench_pipelines(dataset_cfg,
                                                 paths,
                                                 rounds=rounds)
    key = device.type + ('-smoke' if args.smoke else '')
    out_json = args.out_json or osp.join(
        REPO, 'work_dirs' if args.smoke else 'docs', f'benchmarks_{key}.json')
    os.makedirs(osp.dirname(osp.abspath(out_json)), exist_ok=True)
    with open(out_json, 'w') as f:
        json.dump(result, f, indent=2)
    section = (f'<!-- begin benchmark: {key} -->\n'
               f'{to_markdown(result, TARGETS)}\n'
               f'<!-- end benchmark: {key} -->\n')
    if args.out_md:
        with open(args.out_md, 'w') as f:
            f.write(section)
    print(section + f'figures written to {out_json}')


if __name__ == '__main__':
    main()
