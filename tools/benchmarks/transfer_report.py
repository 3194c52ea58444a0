# Copyright (c) mmmsf contributors. All rights reserved.
"""The MSF paper's transfer numbers (table 3) and the markdown summary of a
run of ``transfer_linear_eval.py`` beside them."""
from typing import Dict

import numpy as np

#: MSF row of the paper's table 3 (ResNet-50, 200 epochs), in table order.
PAPER_MSF_TRANSFER: Dict[str, float] = {
    'food101': 70.7,
    'cifar10': 92.0,
    'cifar100': 76.1,
    'sun397': 59.0,
    'stanford_cars': 60.9,
    'fgvc_aircraft': 53.5,
    'dtd': 72.1,
    'oxford_pets': 89.2,
    'caltech101': 92.1,
    'flowers102': 92.4,
}
#: Mean over the ten datasets of each row of the paper's table 3.
PAPER_TRANSFER_MEANS: Dict[str, float] = {
    'MSF': 75.8,
    'MSF w/s': 75.5,
    'BYOL-asym': 74.3,
    'MoCo v2': 72.6,
}
#: Display names of the datasets, in table order.
TRANSFER_DATASET_NAMES: Dict[str, str] = {
    'food101': 'Food-101',
    'cifar10': 'CIFAR-10',
    'cifar100': 'CIFAR-100',
    'sun397': 'SUN397',
    'stanford_cars': 'Stanford Cars',
    'fgvc_aircraft': 'FGVC Aircraft',
    'dtd': 'DTD',
    'oxford_pets': 'Oxford-IIIT Pets',
    'caltech101': 'Caltech-101',
    'flowers102': 'Flowers-102',
}


def transfer_summary_markdown(results: Dict[str, dict]) -> str:
    """A markdown table of transfer results beside the paper's MSF row.

    Args:
        results (dict): Maps dataset keys of :data:`PAPER_MSF_TRANSFER`
            (others are listed after them) to results of
            :func:`mmmsf.evaluation.transfer_linear_eval` (``metric`` and
            ``test_score``).

    Returns:
        str: One row per dataset of the paper (``not run`` where absent)
        and per other dataset, then the mean over the datasets run, beside
        the paper's mean over the same datasets (and the paper's means of
        every method when all ten were run).
    """
    lines = [
        '| dataset | metric | this run | paper (MSF) |',
        '|---|---|---:|---:|',
    ]
    keys = list(PAPER_MSF_TRANSFER) + sorted(
        k for k in results if k not in PAPER_MSF_TRANSFER)
    for key in keys:
        name = TRANSFER_DATASET_NAMES.get(key, key)
        paper = PAPER_MSF_TRANSFER.get(key)
        paper_s = '-' if paper is None else f'{paper:.1f}'
        if key in results:
            res = results[key]
            lines.append(f'| {name} | {res["metric"]} | '
                         f'{res["test_score"]:.1f} | {paper_s} |')
        else:
            lines.append(f'| {name} | - | not run | {paper_s} |')
    run = [k for k in keys if k in results]
    if run:
        ours = np.mean([results[k]['test_score'] for k in run])
        known = [k for k in run if k in PAPER_MSF_TRANSFER]
        paper_mean = (f'{np.mean([PAPER_MSF_TRANSFER[k] for k in known]):.1f}'
                      if known else '-')
        lines.append(f'| mean of the {len(run)} run | | {ours:.1f} | '
                     f'{paper_mean} |')
    if all(k in results for k in PAPER_MSF_TRANSFER):
        lines.append('')
        lines.append('Paper means over the ten datasets: ' +
                     ', '.join(f'{k} {v:.1f}'
                               for k, v in PAPER_TRANSFER_MEANS.items()) + '.')
    return '\n'.join(lines) + '\n'
