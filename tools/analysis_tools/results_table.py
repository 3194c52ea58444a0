# Copyright (c) mmmsf contributors. All rights reserved.
"""Run a whole results table from a spec: tune on the validation split,
train every final row with several seeds, score each run on the test split
and write mean ± std as JSON and markdown.

A spec is an mmengine config (see ``configs/results/``)::

    title = 'Fashion-MNIST'
    seeds = [0, 1, 2]                     # seeds of every final row
    select = 'knn/knn_top1'               # monitor scalar (validation
                                          # split, last epoch) that tunes
    linear_configs = dict(linear_msf=..., linear_std=...)
    eval_options = ['knn_query_dataloader.dataset.split=test']
    rows = [
        dict(key='random', name='random init', config=MSF, random=True),
        dict(key='msf_k5', name='MSF, k = 5', config=MSF,
             grid=[['model.momentum=0.01'], ['model.momentum=0.04']]),
        dict(key='msf_k1', name='MSF, k = 1', config=MSF_K1,
             settings_from='msf_k5'),
    ]
    settings_spec = None                  # or another spec: rows with
                                          # `settings_from` take that
                                          # spec's chosen settings

For a row with a ``grid``, every point is trained with the first seed and
the point with the highest ``select`` scalar is chosen; that run is reused as
the first seed's final run (the test split is only read by the final
scoring). Every training run is a *cell* keyed by (config, options, seed):
its folder under ``--work-dir`` holds the checkpoints, and a finished cell
(its last epoch's checkpoint exists) is never trained again, so an
interrupted table resumes where it stopped and two specs share their common
cells. Scoring reuses finished evaluations the same way
(:func:`digits_results_table.evaluate`)::

    python tools/analysis_tools/results_table.py configs/results/fashion_mnist.py \\
        --update-doc docs/evaluation.md

writes ``docs/results/<spec name>.{json,md}`` and, with ``--update-doc``,
replaces the block between ``<!-- results:<spec name> -->`` and
``<!-- /results:<spec name> -->`` in that file.

The numbers of every finished cell (its monitor scalars, its last training
epoch and its scores) also go to a ledger, ``docs/results/cells.json`` by
default: a small JSON file meant to be committed. A cell found in the
ledger is neither trained nor scored again, so a table resumes on another
machine (or after its checkpoints are deleted) from the ledger alone.
"""  # noqa: E501
import argparse
import functools
import hashlib
import json
import os
import os.path as osp
import re
import subprocess
import sys
from typing import Dict, List, Optional, Sequence, Tuple, Union

import numpy as np
from mmengine.config import Config

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
from digits_results_table import COLUMNS, evaluate, parse_options  # noqa
from msf_figures import scalar_files  # noqa: E402

SPEC_KEYS = ('title', 'seeds', 'select', 'linear_configs', 'rows')


def parse_args():
    parser = argparse.ArgumentParser(description='results table from a spec')
    parser.add_argument('spec', help='table spec (configs/results/*.py)')
    parser.add_argument('--work-dir',
                        default=osp.join('work_dirs', 'results'),
                        help='cells (training runs) and their evaluations')
    parser.add_argument('--out',
                        help='output stem (default docs/results/<spec name>)'
                        '; .json and .md are written')
    parser.add_argument('--update-doc',
                        help='markdown file whose results block for this '
                        'spec is replaced by the table')
    parser.add_argument('--stage',
                        choices=['tune', 'all'],
                        default='all',
                        help='stop after tuning (the .md then holds the '
                        'grid only), or run everything')
    parser.add_argument('--ledger',
                        default=osp.join(ROOT, 'docs', 'results',
                                         'cells.json'),
                        help='JSON record of finished cells (reused '
                        'instead of training or scoring them again)')
    parser.add_argument('--rows',
                        nargs='+',
                        help='score only these rows (keys); tuning still '
                        'covers every row they depend on')
    parser.add_argument('--dry-run',
                        action='store_true',
                        help='list the cells and whether they are done')
    return parser.parse_args()


def load_spec(path: str) -> Config:
    """Load a spec and check it names everything a table needs."""
    spec = Config.fromfile(path)
    missing = [key for key in SPEC_KEYS if key not in spec]
    if missing:
        raise ValueError(f'{path}: the spec lacks {", ".join(missing)}')
    keys = [row['key'] for row in spec.rows]
    for row in spec.rows:
        if not osp.isfile(osp.join(ROOT, row['config'])):
            raise FileNotFoundError(
                f'{path}: row {row["key"]!r}: config not found: '
                f'{row["config"]}')
        source = row.get('settings_from')
        if source and not spec.get('settings_spec') and source not in keys:
            raise ValueError(f'{path}: row {row["key"]!r} takes its '
                             f'settings from unknown row {source!r}')
        if len(row.get('grid') or []) > 3:
            raise ValueError(f'{path}: row {row["key"]!r}: the grid has '
                             f'{len(row["grid"])} points; the budget is 3')
    return spec


def cell_name(config: str, options: Sequence[str], seed: int) -> str:
    """The name of one training run, keyed by config, options and seed."""
    key = json.dumps([config, sorted(options), seed])
    digest = hashlib.sha1(key.encode()).hexdigest()[:10]
    name = osp.splitext(osp.basename(config))[0]
    return f'{name}-s{seed}-{digest}'


def cell_dir(work_dir: str, config: str, options: Sequence[str],
             seed: int) -> str:
    """The folder of one training run (see :func:`cell_name`)."""
    return osp.join(work_dir, 'cells', cell_name(config, options, seed))


def eval_key(knn_options: Sequence[str], linear_options: Sequence[str],
             protocols: Dict[str, str]) -> str:
    """A short key of how a cell is scored (the same cell may be scored
    under several protocols)."""
    key = json.dumps([
        sorted(knn_options),
        sorted(linear_options),
        sorted(protocols.items())
    ])
    return hashlib.sha1(key.encode()).hexdigest()[:10]


class Ledger:
    """The numbers of finished cells, kept in one JSON file.

    Each entry, keyed by :func:`cell_name`, holds ``config``, ``options``
    and ``seed``, and what was measured: ``monitor`` (first and last value
    of every validation scalar), ``train`` (the mean of every training
    scalar over the last epoch) and ``eval`` (the scores of each scoring
    protocol, by :func:`eval_key`). The file is rewritten after every
    update, so an interrupted table keeps what it finished.

    Args:
        path (str): The JSON file (created on the first update).
    """

    def __init__(self, path: str) -> None:
        self.path = path
        self.cells: Dict[str, dict] = {}
        if osp.isfile(path):
            with open(path) as f:
                self.cells = json.load(f)

    def get(self, cell: str, section: str) -> dict:
        """One section of a cell's entry (empty when not recorded)."""
        return self.cells.get(cell, {}).get(section, {})

    def put(self, cell: str, identity: dict, section: str,
            values: dict) -> None:
        """Merge ``values`` into a cell's section and save the file."""
        entry = self.cells.setdefault(cell, dict(identity))
        entry.setdefault(section, {}).update(values)
        os.makedirs(osp.dirname(osp.abspath(self.path)), exist_ok=True)
        tmp = self.path + '.tmp'
        with open(tmp, 'w') as f:
            json.dump(self.cells, f, indent=1, sort_keys=True)
            f.write('\n')
        os.replace(tmp, self.path)

    def record_run(self, cell: str, identity: dict, run_dir: str) -> None:
        """Record a trained cell's monitor and last-epoch scalars."""
        records = scalars(run_dir)
        # validation metrics are namespaced (``knn/knn_top1``); training
        # records carry their epoch
        monitor: Dict[str, dict] = {}
        for record in records:
            for key, value in record.items():
                if '/' in key and isinstance(value, (int, float)):
                    monitor.setdefault(key, dict(first=float(value)))
                    monitor[key]['last'] = float(value)
        train_keys = {
            key
            for record in records if 'epoch' in record
            for key, value in record.items()
            if isinstance(value, (int, float)) and '/' not in key
            and key not in ('epoch', 'iter', 'step')
        }
        means = {k: last_epoch_mean(run_dir, k) for k in sorted(train_keys)}
        # a run measured here replaces numbers copied from elsewhere
        self.cells.get(cell, {}).pop('source', None)
        self.put(cell, identity, 'monitor', monitor)
        self.put(cell, identity, 'train', means)


@functools.lru_cache(maxsize=None)
def _max_epochs(config: str, options: Tuple[str, ...]) -> int:
    cfg = Config.fromfile(osp.join(ROOT, config))
    cfg.merge_from_dict(parse_options(options))
    return int(cfg.train_cfg.max_epochs)


def max_epochs(config: str, options: Sequence[str]) -> int:
    """The number of training epochs of a config under overrides."""
    return _max_epochs(config, tuple(options))


def train(work_dir: str,
          config: str,
          options: Sequence[str],
          seed: int,
          dry_run: bool = False) -> Optional[str]:
    """Train one cell unless it is finished; return its last checkpoint.

    An interrupted cell resumes from its latest checkpoint (``--resume``).
    """
    out = cell_dir(work_dir, config, options, seed)
    checkpoint = osp.join(out, f'epoch_{max_epochs(config, options)}.pth')
    if osp.isfile(checkpoint):
        return checkpoint
    if dry_run:
        print(f'  to train: {out} ({config} seed {seed} {" ".join(options)})')
        return None
    cmd = [
        sys.executable, 'tools/train.py', config, '--work-dir', out,
        '--resume', '--cfg-options', f'randomness.seed={seed}', *options
    ]
    print('+ ' + ' '.join(cmd), flush=True)
    subprocess.run(cmd, cwd=ROOT, check=True)
    if not osp.isfile(checkpoint):
        raise RuntimeError(f'{out}: training ended without {checkpoint}')
    return checkpoint


def scalars(run_dir: str) -> List[dict]:
    """Every record of a run's ``scalars.json`` files, oldest run first."""
    records = []
    for path in scalar_files(run_dir):
        with open(path) as f:
            records += [json.loads(line) for line in f if line.strip()]
    return records


def last_epoch_mean(run_dir: str, key: str) -> Optional[float]:
    """Mean of a training scalar over the records of the last epoch."""
    records = [r for r in scalars(run_dir) if key in r and 'epoch' in r]
    if not records:
        return None
    last = max(r['epoch'] for r in records)
    return float(np.mean([r[key] for r in records if r['epoch'] == last]))


def mean_std(values: Sequence[float]) -> Dict[str, float]:
    """Mean, sample standard deviation (ddof 1; 0 for one value) and n."""
    values = np.asarray(values, dtype=float)
    std = float(values.std(ddof=1)) if len(values) > 1 else 0.0
    return dict(mean=float(values.mean()), std=std, n=int(len(values)))


class Table:
    """One spec's cells, choices and numbers.

    Args:
        spec_path (str): The spec file.
        work_dir (str): Where cells and evaluations live.
        dry_run (bool): List cells instead of training them.
        ledger (str | Ledger, optional): The ledger of finished cells (a
            path, or a ledger shared with another table). Defaults to
            ``cells.json`` in ``work_dir``.
    """

    def __init__(self,
                 spec_path: str,
                 work_dir: str,
                 dry_run: bool = False,
                 ledger: Optional[Union[str, Ledger]] = None) -> None:
        self.spec_path = spec_path
        self.spec = load_spec(spec_path)
        self.work_dir = osp.abspath(work_dir)
        self.dry_run = dry_run
        if not isinstance(ledger, Ledger):
            ledger = Ledger(ledger or osp.join(self.work_dir, 'cells.json'))
        self.ledger = ledger
        self.rows = {row['key']: row for row in self.spec.rows}
        self.tuning: Dict[str, List[dict]] = {}
        self.chosen: Dict[str, List[str]] = {}
        self.parent = None
        if self.spec.get('settings_spec'):
            self.parent = Table(osp.join(ROOT, self.spec.settings_spec),
                                work_dir, dry_run, self.ledger)

    def trained_cell(self, config: str, options: Sequence[str],
                     seed: int) -> Optional[str]:
        """Train a cell unless it is finished, record it in the ledger and
        return its checkpoint (None in a dry run)."""
        checkpoint = train(self.work_dir, config, options, seed, self.dry_run)
        if checkpoint is not None:
            self.ledger.record_run(
                cell_name(config, options, seed),
                dict(config=config, options=list(options), seed=seed),
                osp.dirname(checkpoint))
        return checkpoint

    def monitor(self, config: str, options: Sequence[str],
                seed: int) -> Optional[dict]:
        """First and last value of the ``select`` scalar of a cell, from the
        ledger or by training it (None while a dry run lacks it)."""
        cell = cell_name(config, options, seed)
        value = self.ledger.get(cell, 'monitor').get(self.spec.select)
        if value is None and self.trained_cell(config, options,
                                               seed) is not None:
            value = self.ledger.get(cell, 'monitor').get(self.spec.select)
            if value is None:
                raise KeyError(f'{cell}: no {self.spec.select!r} was logged')
        return value

    def settings(self, key: str) -> Optional[List[str]]:
        """The options of a row: its fixed ``options``, the tuned options of
        its ``settings_from`` row and its own grid's choice (tuning it first
        if needed); None while a dry run lacks a grid cell."""
        tuned = self.tuned_options(key)
        if tuned is None:
            return None
        return list(self.rows[key].get('options', [])) + tuned

    def tuned_options(self, key: str) -> Optional[List[str]]:
        """The options a row owes to tuning (its source's and its own)."""
        if key in self.chosen:
            return self.chosen[key]
        row = self.rows[key]
        inherited: List[str] = []
        source = row.get('settings_from')
        if source:
            inherited = (self.parent or self).tuned_options(source)
            if inherited is None:
                return None
        grid = [list(p) for p in row.get('grid') or []]
        if not grid:
            self.chosen[key] = inherited
            return inherited
        if self.parent is not None:
            raise ValueError(f'{self.spec_path}: row {key!r} has a grid, but '
                             'a spec with a settings_spec reuses choices')
        fixed = list(row.get('options', [])) + inherited
        scores, monitors = [], [
            self.monitor(row['config'], fixed + point, self.spec.seeds[0])
            for point in grid
        ]
        if None in monitors:
            return None
        for point, value in zip(grid, monitors):
            scores.append(
                dict(options=point, score=value['last'], init=value['first']))
        best = int(np.argmax([s['score'] for s in scores]))
        for i, score in enumerate(scores):
            score['chosen'] = i == best
        self.tuning[key] = scores
        self.chosen[key] = inherited + grid[best]
        return self.chosen[key]

    def score_row(self,
                  row: dict,
                  recorded_only: bool = False) -> Optional[dict]:
        """Train and score every seed of a final row (None until every seed
        is scored). With ``recorded_only``, take the ledger's scores and
        train or score nothing."""
        options = self.settings(row['key'])
        if options is None:
            return None
        eval_options = list(self.spec.get('eval_options', []))
        protocols = dict(self.spec.linear_configs)
        per_seed = []
        for seed in self.spec.seeds:
            seed_options = [f'randomness.seed={seed}']
            knn_options = eval_options + seed_options + options
            scoring = eval_key(knn_options, seed_options, protocols)
            name = osp.splitext(osp.basename(row['config']))[0]
            cell = (f'random-{name}-s{seed}' if row.get('random') else
                    cell_name(row['config'], options, seed))
            identity = dict(config=row['config'],
                            options=[] if row.get('random') else options,
                            seed=seed,
                            random=bool(row.get('random')))
            results = self.ledger.get(cell, 'eval').get(scoring)
            if results is None and recorded_only:
                return None
            if results is None:
                if row.get('random'):
                    checkpoint = 'random'
                    out = osp.join(self.work_dir, 'random', name,
                                   f'seed_{seed}')
                else:
                    checkpoint = self.trained_cell(row['config'], options,
                                                   seed)
                    if checkpoint is None:
                        continue
                    out = osp.join(osp.dirname(checkpoint), 'eval')
                if self.dry_run:
                    print(f'  to score: {cell}')
                    continue
                results = evaluate(osp.join(ROOT, row['config']),
                                   checkpoint,
                                   out,
                                   linear_options=seed_options,
                                   knn_options=knn_options,
                                   protocols={
                                       k: osp.join(ROOT, v)
                                       for k, v in protocols.items()
                                   })
                self.ledger.put(cell, identity, 'eval', {scoring: results})
            results = dict(results)
            train_means = self.ledger.get(cell, 'train')
            for extra in self.spec.get('extra_columns', []):
                if not row.get('random'):
                    results[extra] = train_means.get(extra)
            per_seed.append(dict(seed=seed, results=results))
        if len(per_seed) < len(self.spec.seeds):
            return None
        keys = [
            k for k in per_seed[0]['results']
            if per_seed[0]['results'][k] is not None
        ]
        summary = {
            k: mean_std([s['results'][k] for s in per_seed])
            for k in keys
        }
        return dict(key=row['key'],
                    name=row['name'],
                    config=row['config'],
                    options=options,
                    seeds=per_seed,
                    summary=summary)

    def run(self,
            stage: str = 'all',
            only: Optional[Sequence[str]] = None) -> Optional[dict]:
        """Tune every row, then (stage ``'all'``) score every row, or only
        the rows whose keys are in ``only`` (the others are filled from the
        ledger where every seed is recorded, else left out)."""
        unknown = sorted(set(only or []) - set(self.rows))
        if unknown:
            raise ValueError(f'{self.spec_path}: no row {", ".join(unknown)}'
                             f'; the rows are {", ".join(self.rows)}')
        for key in self.rows:
            self.settings(key)
        rows = []
        if stage == 'all':
            rows = [
                self.score_row(row,
                               recorded_only=bool(only)
                               and row['key'] not in only)
                for row in self.spec.rows
            ]
        if self.dry_run:
            return None
        return dict(title=self.spec.title,
                    names={row['key']: row['name']
                           for row in self.spec.rows},
                    chosen=self.chosen,
                    spec=osp.relpath(osp.abspath(self.spec_path), ROOT),
                    seeds=list(self.spec.seeds),
                    select=self.spec.select,
                    tuning=self.tuning,
                    rows=rows)


def fmt(stat: Optional[dict], scale: float = 1.0, digits: int = 1) -> str:
    """``mean ± std`` of a summary entry."""
    if stat is None:
        return '-'
    return (f'{scale * stat["mean"]:.{digits}f} ± '
            f'{scale * stat["std"]:.{digits}f}')


def beyond_spread(rows: List[dict], key: str) -> Optional[str]:
    """The row whose mean leads a column by more than the seed spread
    (its mean - std above every other row's mean + std), if any."""
    stats = [(r['key'], r['summary'][key]) for r in rows
             if key in r['summary']]
    if len(stats) < 2:
        return None
    stats.sort(key=lambda s: -s[1]['mean'])
    (best, top), (_, second) = stats[0], stats[1]
    if top['mean'] - top['std'] > second['mean'] + second['std']:
        return best
    return None


def markdown(table: dict) -> str:
    """The results table, then the tuning grid, as markdown."""
    columns = list(COLUMNS)
    extra = [k for k in table.get('extra_columns', [])]
    columns += [(k, k) for k in extra]
    rows = [r for r in table['rows'] if r is not None]
    header = ['row', 'setting', 'seeds'] + [title for _, title in columns]
    lines = ['| ' + ' | '.join(header) + ' |', '|' +
             '---|' * len(header)] if rows else []
    # only the scores are ranked; the extra columns are training monitors
    # (k = 1's purity is 1 by construction, not a lead)
    leaders = {key: beyond_spread(rows, key) for key, _ in COLUMNS}
    for row in rows:
        setting = ', '.join(f'`{o}`' for o in row['options']) or 'config'
        cells = [row['name'], setting, str(len(row['seeds']))]
        for key, _ in columns:
            scale = 100.0 if key == 'purity' else 1.0
            text = fmt(row['summary'].get(key), scale)
            lead = leaders.get(key) == row['key']
            cells.append(f'**{text}**' if lead else text)
        lines.append('| ' + ' | '.join(cells) + ' |')
    if table['tuning']:
        lines += ([''] if lines else []) + [
            f'Tuning (seed {table["seeds"][0]}, validation split, '
            f'`{table["select"]}` after the last epoch, and the same '
            f'monitor before the first step):', '',
            '| row | grid point | validation score | before training '
            '| chosen |', '|---|---|---|---|---|'
        ]
        names = table.get('names', {})
        for key, scores in table['tuning'].items():
            for s in scores:
                point = ', '.join(f'`{o}`' for o in s['options'])
                lines.append(f'| {names.get(key, key)} | {point} | '
                             f'{s["score"]:.1f} | {s["init"]:.1f} | '
                             f'{"yes" if s["chosen"] else ""} |')
    return '\n'.join(lines) + '\n'


def update_doc(path: str, name: str, text: str) -> None:
    """Replace the block between this spec's markers in a markdown file."""
    with open(path) as f:
        doc = f.read()
    begin, end = f'<!-- results:{name} -->', f'<!-- /results:{name} -->'
    pattern = re.compile(re.escape(begin) + '.*?' + re.escape(end), re.S)
    if not pattern.search(doc):
        raise ValueError(f'{path} has no {begin} ... {end} block')
    doc = pattern.sub(lambda _: f'{begin}\n{text}{end}', doc)
    with open(path, 'w') as f:
        f.write(doc)


def main():
    args = parse_args()
    name = osp.splitext(osp.basename(args.spec))[0]
    table = Table(args.spec, args.work_dir, args.dry_run, args.ledger)
    result = table.run(args.stage, args.rows)
    if result is None:  # a dry run
        return
    result['extra_columns'] = list(table.spec.get('extra_columns', []))
    out = args.out or osp.join(ROOT, 'docs', 'results', name)
    os.makedirs(osp.dirname(osp.abspath(out)), exist_ok=True)
    text = markdown(result)
    with open(out + '.md', 'w') as f:
        f.write(text)
    with open(out + '.json', 'w') as f:
        json.dump(result, f, indent=2)
    if args.update_doc:
        update_doc(args.update_doc, name, text)
    print(text)
    print(f'table written to {out}.md and {out}.json')


if __name__ == '__main__':
    main()
