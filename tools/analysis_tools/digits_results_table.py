# Copyright (c) mmmsf contributors. All rights reserved.
"""Score pretrained digits backbones with every evaluation tool and write
the results table of docs/evaluation.md.

For each ``--row NAME CONFIG CHECKPOINT`` (CONFIG: the pretraining config;
CHECKPOINT: its checkpoint, or ``random`` for the randomly initialised
backbone) it runs

- ``tools/benchmarks/linear_eval.sh`` with both digits linear protocols
  (MSF paper protocol and the standard OpenMMLab protocol), top-1 of the
  last validation epoch;
- ``tools/benchmarks/knn_eval.sh``: 1-NN and 20-NN majority vote;
- ``tools/analysis_tools/kmeans_clusters.py``: k-means NMI (10 clusters,
  held-out split);

and writes a markdown table and a JSON file of the numbers::

    python tools/analysis_tools/digits_results_table.py \\
        --row 'random init' configs/msf/msf_resnet18-w16_1xb128-coslr-30e_digits.py random \\
        --row 'MSF, k = 5' configs/msf/msf_resnet18-w16_1xb128-coslr-30e_digits.py work_dirs/msf_k5/epoch_30.pth \\
        --work-dir work_dirs/digits_table

Results already in the work dir are reused (``--force`` recomputes).
"""  # noqa: E501
import argparse
import json
import os
import os.path as osp
import re
import subprocess
import sys
from typing import Dict, List, Optional, Sequence

from mmengine.config import Config, DictAction

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, ROOT)
sys.path.insert(0, osp.join(ROOT, 'tools', 'visualization'))  # msf_figures
from msf_figures import load_scalars

LINEAR = osp.join(ROOT, 'configs', 'benchmarks', 'classification')
PROTOCOLS = {
    'linear_msf':
    osp.join(LINEAR, 'resnet18-w16_msf-linear-1xb128-steplr-10e_digits.py'),
    'linear_std':
    osp.join(LINEAR, 'resnet18-w16_linear-1xb128-steplr-10e_digits.py'),
}
COLUMNS = (('linear_msf', 'linear, MSF protocol'),
           ('linear_std', 'linear, standard protocol'), ('knn_1nn', '1-NN'),
           ('knn_20nn', '20-NN'), ('kmeans_nmi', 'k-means NMI (x100)'))


def parse_args():
    parser = argparse.ArgumentParser(description='digits results table')
    parser.add_argument('--row',
                        nargs=3,
                        action='append',
                        required=True,
                        metavar=('NAME', 'CONFIG', 'CHECKPOINT'),
                        help='a table row: its name, the pretraining config '
                        'and the checkpoint (or "random")')
    parser.add_argument('--work-dir',
                        default=osp.join('work_dirs', 'digits_table'),
                        help='evaluation outputs, one folder per row')
    parser.add_argument('--out',
                        help='markdown table (default WORK_DIR/'
                        'digits_table.md); the numbers go to a .json beside')
    parser.add_argument('--linear-options',
                        nargs='+',
                        default=[],
                        metavar='KEY=VALUE',
                        help='overrides of both linear configs')
    parser.add_argument('--knn-options',
                        nargs='+',
                        default=[],
                        metavar='KEY=VALUE',
                        help='overrides of the pretraining configs for '
                        'knn_eval.py and kmeans_clusters.py')
    parser.add_argument('--force',
                        action='store_true',
                        help='rerun evaluations whose results exist')
    args = parser.parse_args()
    for name, config, checkpoint in args.row:
        if not osp.isfile(config):
            parser.error(f'row {name!r}: config not found: {config}')
        if checkpoint != 'random' and not osp.isfile(checkpoint):
            parser.error(f'row {name!r}: checkpoint not found: {checkpoint}')
    return args


def slug(name: str) -> str:
    """A folder name for a row."""
    return re.sub(r'[^A-Za-z0-9]+', '_', name).strip('_').lower()


def run(cmd: List[str]) -> None:
    """Run an evaluation tool from the repository root, with this
    interpreter, failing loudly."""
    env = dict(os.environ, PYTHON=sys.executable)
    print('+ ' + ' '.join(cmd), flush=True)
    subprocess.run(cmd, cwd=ROOT, env=env, check=True)


def parse_options(options: Sequence[str]) -> dict:
    """``KEY=VALUE`` strings as ``--cfg-options`` would parse them."""
    parsed = argparse.Namespace()
    DictAction(None, 'options')(None, parsed, list(options))
    return parsed.options


def cfg_options(options: Sequence[str]) -> List[str]:
    """``--cfg-options KEY=VALUE ...``, or nothing."""
    return ['--cfg-options', *options] if options else []


def final_top1(work_dir: str, max_epochs: int) -> Optional[float]:
    """Top-1 of the validation after the last epoch of a linear-evaluation
    work dir; None if that run has not finished."""
    try:
        steps, top1 = load_scalars(work_dir)['accuracy/top1']
    except (FileNotFoundError, KeyError):
        return None
    return float(top1[-1]) if steps[-1] == max_epochs else None


def evaluate(
    config: str,
    checkpoint: str,
    work_dir: str,
    force: bool = False,
    linear_options: Sequence[str] = (),
    knn_options: Sequence[str] = (),
    protocols: Optional[Dict[str, str]] = None,
) -> Dict[str, float]:
    """All the table's numbers for one backbone.

    Args:
        config (str): Pretraining config.
        checkpoint (str): Checkpoint or ``'random'``.
        work_dir (str): Where the evaluations of this row go.
        force (bool): Rerun finished evaluations. Defaults to False.
        linear_options (Sequence[str]): ``KEY=VALUE`` overrides of the
            linear configs. Defaults to ().
        knn_options (Sequence[str]): ``KEY=VALUE`` overrides of ``config``
            for the k-NN and k-means tools. Defaults to ().
        protocols (dict[str, str], optional): Linear configs by column key
            (``linear_msf``, ``linear_std``). Defaults to None (the digits
            configs of :data:`PROTOCOLS`).

    Returns:
        dict[str, float]: The numbers of :data:`COLUMNS`, in percent.
    """
    config, work_dir = osp.abspath(config), osp.abspath(work_dir)
    if checkpoint != 'random':
        checkpoint = osp.abspath(checkpoint)
    results = {}
    for key, linear_config in (protocols or PROTOCOLS).items():
        out = osp.join(work_dir, key)
        linear_cfg = Config.fromfile(linear_config)
        linear_cfg.merge_from_dict(parse_options(linear_options))
        max_epochs = linear_cfg.train_cfg.max_epochs
        top1 = None if force else final_top1(out, max_epochs)
        if top1 is None:
            run([
                'bash', 'tools/benchmarks/linear_eval.sh', linear_config,
                checkpoint, '1', *linear_options, '--work-dir', out
            ])
            top1 = final_top1(out, max_epochs)
        if top1 is None:
            raise RuntimeError(f'{out}: no top-1 after epoch {max_epochs}')
        results[key] = top1
    knn_json = osp.join(work_dir, 'knn', 'knn_metrics.json')
    if force or not osp.isfile(knn_json):
        run([
            'bash', 'tools/benchmarks/knn_eval.sh', config, checkpoint, '1',
            '--work-dir',
            osp.dirname(knn_json), *cfg_options(knn_options)
        ])
    with open(knn_json) as f:
        knn = json.load(f)['metrics']
    results.update(knn_1nn=knn['knn_1nn'], knn_20nn=knn['knn_20nn'])
    kmeans_json = osp.join(work_dir, 'kmeans', 'kmeans_metrics.json')
    if force or not osp.isfile(kmeans_json):
        run([
            sys.executable, 'tools/analysis_tools/kmeans_clusters.py', config,
            checkpoint, '--work-dir',
            osp.dirname(kmeans_json), *cfg_options(knn_options)
        ])
    with open(kmeans_json) as f:
        results['kmeans_nmi'] = 100 * json.load(f)['metrics']['nmi']
    return results


def markdown_table(rows: List[dict]) -> str:
    """The table, one row per backbone."""
    header = ['backbone', 'pretraining config', 'checkpoint'
              ] + [title for _, title in COLUMNS]
    lines = [
        '| ' + ' | '.join(header) + ' |',
        '|' + '---|' * len(header),
    ]
    for row in rows:
        cells = [
            row['name'], f'`{osp.relpath(row["config"], ROOT)}`',
            '`random`' if row['checkpoint'] == 'random' else
            f'`{osp.basename(row["checkpoint"])}`'
        ] + [f'{row["results"][key]:.1f}' for key, _ in COLUMNS]
        lines.append('| ' + ' | '.join(cells) + ' |')
    return '\n'.join(lines) + '\n'


def main():
    args = parse_args()
    rows = []
    for name, config, checkpoint in args.row:
        results = evaluate(config, checkpoint,
                           osp.join(args.work_dir, slug(name)), args.force,
                           args.linear_options, args.knn_options)
        rows.append(
            dict(name=name,
                 config=osp.abspath(config),
                 checkpoint=checkpoint,
                 results=results))
    out = args.out or osp.join(args.work_dir, 'digits_table.md')
    os.makedirs(osp.dirname(osp.abspath(out)), exist_ok=True)
    table = markdown_table(rows)
    with open(out, 'w') as f:
        f.write(table)
    with open(osp.splitext(out)[0] + '.json', 'w') as f:
        json.dump(rows, f, indent=2)
    print(table)
    print(f'table written to {out}')


if __name__ == '__main__':
    main()
