# Copyright (c) mmmsf contributors. All rights reserved.
"""Checkpoint size and the evaluation tools' peak memory for a config.

Builds the config's model (the paper recipe by default), gives every
parameter an SGD momentum buffer as after one step, and saves a checkpoint
the way ``Runner.save_checkpoint`` lays it out, once per memory-bank dtype.
For each file it then measures, in a fresh process, the peak resident
memory of taking the backbone out of it as the evaluation tools and
converters do (``backbone_state_dict`` of ``mmmsf.checkpoint``), once
reading the file whole (``mmap=False``, as before) and once memory-mapped
(``mmap=True``, as now)::

    python tools/analysis_tools/checkpoint_footprint.py \\
        --out-json docs/checkpoint_footprint.json
"""
import argparse
import json
import os
import os.path as osp
import platform
import subprocess
import sys
import tempfile
import time

import torch

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, ROOT)

# a fresh process: import, then load the backbone; peak RSS in MiB
# (VmHWM, not ru_maxrss: after fork Linux starts a child's ru_maxrss at
# its parent's, which here holds the checkpoint that was just written)
_PROBE = r'''
import sys, torch
sys.path.insert(0, {root!r})
from mmmsf.checkpoint import backbone_state_dict
def hwm():
    with open('/proc/self/status') as f:
        return next(int(l.split()[1]) for l in f if l.startswith('VmHWM'))
base = hwm()
sd = backbone_state_dict({path!r}, mmap={mmap!r})
total = sum(v.float().sum().item() for v in sd.values())  # touch it all
print(base / 1024, hwm() / 1024, len(sd))
'''


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--config',
                        default=osp.join(ROOT, 'configs',
                                         'msf_r50_8xb32_200e_in1k.py'))
    parser.add_argument('--dtypes', nargs='+', default=['float32', 'float16'])
    parser.add_argument('--tmp-dir', default=None)
    parser.add_argument('--out-json', default=None)
    return parser.parse_args()


def build_checkpoint(cfg, dtype: str) -> dict:
    """A checkpoint of ``cfg``'s model laid out as mmengine's."""
    from mmpretrain.registry import MODELS

    import mmmsf  # noqa: F401
    model_cfg = cfg.model.copy()
    model_cfg.memory = dict(model_cfg.memory, dtype=dtype)
    model = MODELS.build(model_cfg)
    params = [p for p in model.parameters() if p.requires_grad]
    optim = torch.optim.SGD(params, lr=0.05, momentum=0.9)
    for p in params:
        p.grad = torch.zeros_like(p)
    optim.step()  # creates the momentum buffers
    return dict(meta=dict(cfg=cfg.pretty_text, epoch=1, iter=1),
                state_dict=model.state_dict(),
                optimizer=optim.state_dict())


def probe(path: str, mmap: bool) -> dict:
    code = _PROBE.format(root=ROOT, path=path, mmap=mmap)
    out = subprocess.run([sys.executable, '-c', code],
                         capture_output=True,
                         text=True,
                         check=True).stdout.split()
    base, peak, num = float(out[-3]), float(out[-2]), int(out[-1])
    return dict(import_rss_mib=round(base),
                peak_rss_mib=round(peak),
                load_mib=round(peak - base),
                backbone_tensors=num)


def main():
    args = parse_args()
    from mmengine.config import Config
    cfg = Config.fromfile(args.config)
    results = dict(config=osp.relpath(args.config, ROOT),
                   machine=f'{platform.machine()}, {os.cpu_count()} cores',
                   date=time.strftime('%Y-%m-%d'),
                   torch=torch.__version__,
                   rows=[])
    with tempfile.TemporaryDirectory(dir=args.tmp_dir) as tmp:
        for dtype in args.dtypes:
            path = osp.join(tmp, f'ckpt_{dtype}.pth')
            ckpt = build_checkpoint(cfg, dtype)
            bank = ckpt['state_dict']['memory.feats']
            bank_mib = bank.numel() * bank.element_size() / 2**20
            torch.save(ckpt, path)
            del ckpt, bank
            row = dict(bank_dtype=dtype,
                       checkpoint_mib=round(osp.getsize(path) / 2**20),
                       bank_mib=round(bank_mib),
                       eval_read_whole=probe(path, mmap=False),
                       eval_mmap=probe(path, mmap=True))
            results['rows'].append(row)
            print(json.dumps(row))
            os.remove(path)
    if args.out_json:
        with open(args.out_json, 'w') as f:
            json.dump(results, f, indent=2)
        print(f'wrote {args.out_json}')


if __name__ == '__main__':
    main()
