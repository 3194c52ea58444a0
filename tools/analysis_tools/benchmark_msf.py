# Copyright (c) mmmsf contributors. All rights reserved.
"""Benchmark MSF side by side with BYOL, the naive bank search and the
torchvision two-view pipeline; write JSON and a Markdown report.

Examples::

    python tools/analysis_tools/benchmark_msf.py --smoke
    python tools/analysis_tools/benchmark_msf.py --device cpu \\
        --input-size 64 --out-json docs/benchmarks_cpu.json
    python tools/analysis_tools/benchmark_msf.py --device cuda \\
        --depth 50 --batch 32 --bank-size 1024000 --input-size 224 \\
        --search-queries 256 --search-dim 512 \\
        --out-json docs/benchmarks_cuda.json
"""
import argparse
import json
import os
import os.path as osp
import tempfile

import msf_benchmarks as benchmark  # the program, beside this file
import torch

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TARGETS = dict(step_ratio=1.05, pipeline_ratio=1.0)
HEADER = ('# Benchmarks\n\n'
          'Written by `tools/analysis_tools/benchmark_msf.py` (one section '
          'per device; the JSON holds the raw figures). Targets: MSF / BYOL '
          f"step time <= {TARGETS['step_ratio']}; bank search extra memory "
          '<= batch x chunk x 4 B + k x dim x 4 B per query; two-view '
          'pipeline images/s >= the torchvision equivalent.\n')


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
    parser.add_argument('--out-json', help='write the figures here')
    parser.add_argument(
        '--out-md',
        default=osp.join(REPO, 'docs', 'benchmarks.md'),
        help='Markdown report to update (its section for this device)')
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
    result = dict(env=benchmark.environment(device),
                  smoke=args.smoke,
                  targets=TARGETS,
                  settings=dict(image_size=f'{image_size[0]}x{image_size[1]}'))
    if 'step' not in args.skip:
        result['step_time'] = benchmark.bench_step_time(device,
                                                        depth=args.depth,
                                                        amp=args.amp,
                                                        **step)
    if 'bank' not in args.skip:
        result['bank_search'] = benchmark.bench_bank_search(device, **bank)
    if 'pipeline' not in args.skip:
        dataset_cfg = osp.join(REPO, 'configs', '_base_', 'datasets',
                               'imagenet_bs32_msf.py')
        with tempfile.TemporaryDirectory() as folder:
            paths = benchmark.make_images(folder, images, image_size)
            result['pipeline'] = benchmark.bench_pipelines(dataset_cfg,
                                                           paths,
                                                           rounds=rounds)
    if args.out_json:
        os.makedirs(osp.dirname(osp.abspath(args.out_json)), exist_ok=True)
        with open(args.out_json, 'w') as f:
            json.dump(result, f, indent=2)
    section = benchmark.to_markdown(result, TARGETS)
    key = device.type + ('-smoke' if args.smoke else '')
    if args.out_md:
        benchmark.write_markdown(args.out_md, key, section, HEADER)
    print(section)


if __name__ == '__main__':
    main()
