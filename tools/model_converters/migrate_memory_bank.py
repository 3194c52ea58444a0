# Copyright (c) mmmsf contributors. All rights reserved.
"""Resize or recast the memory bank inside an mmmsf checkpoint.

Keeps the newest entries in queue order (labels too) with a consistent
pointer and fill count, so a run resumed from the output continues with the
same recent neighbours in a bank of another size or dtype::

    python tools/model_converters/migrate_memory_bank.py \\
        work_dirs/msf/epoch_100.pth epoch_100_bank128k.pth \\
        --size 128000 --dtype float16

(``tools/train.py --resume CKPT --migrate-memory`` does the same at load
time.) Everything else in the checkpoint (weights, optimizer, schedulers,
RNG states, message hub) is copied unchanged.
"""
import argparse
import os.path as osp
import sys

import torch

sys.path.insert(0,
                osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
from mmmsf.checkpoint import load_checkpoint_safely
from mmmsf.checkpoint.bank_state import (BANK_DTYPES, BANK_KEYS,
                                         check_queue_state, migrate_bank_state)


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('checkpoint', help='input checkpoint')
    parser.add_argument('output', help='output checkpoint')
    parser.add_argument('--size',
                        type=int,
                        help='entries of the new bank (default: unchanged)')
    parser.add_argument('--dtype',
                        choices=sorted(BANK_DTYPES),
                        help='storage dtype of the new bank (default: '
                        'unchanged)')
    parser.add_argument('--prefix',
                        default='memory.',
                        help='key prefix of the bank in the state dict')
    parser.add_argument('--seed',
                        type=int,
                        default=0,
                        help='seed of the random unit vectors that fill '
                        'unused rows')
    return parser.parse_args()


def main():
    args = parse_args()
    ckpt = load_checkpoint_safely(args.checkpoint, map_location='cpu')
    state_dict = ckpt.get('state_dict', ckpt)
    keys = BANK_KEYS
    missing = [
        args.prefix + k for k in keys if args.prefix + k not in state_dict
    ]
    if missing:
        raise SystemExit(f'{args.checkpoint} holds no memory bank under '
                         f'{args.prefix!r} (missing {", ".join(missing)}).')
    old = {k: state_dict[args.prefix + k] for k in keys}
    old_size, dim = old['feats'].shape
    check_queue_state(old['feats'], old['labels'], int(old['ptr']),
                      int(old['num_seen']), old_size, 0, args.prefix)
    size = args.size or old_size
    if size < 1:
        raise SystemExit(f'--size must be positive, got {size}.')
    generator = torch.Generator().manual_seed(args.seed)
    fill = torch.nn.functional.normalize(torch.randn(size,
                                                     dim,
                                                     generator=generator),
                                         dim=1)
    new = migrate_bank_state(old, size, args.dtype, fill=fill)
    state_dict.update({args.prefix + k: v for k, v in new.items()})
    torch.save(ckpt, args.output)
    print(f'wrote {args.output}: bank {old_size} x {dim} '
          f'{str(old["feats"].dtype)[6:]} -> {size} x {dim} '
          f'{str(new["feats"].dtype)[6:]}, kept the newest '
          f'{int(new["num_seen"])} entries (ptr {int(new["ptr"])}).')


if __name__ == '__main__':
    main()
