# Copyright (c) mmmsf contributors. All rights reserved.
"""Summary of a demo run: k-NN before/after training and purity."""
from typing import Dict


def summarize(runner, seconds: float) -> Dict:
    """Collect the demo's figures from the runner's message hub.

    Args:
        runner (Runner): A runner after ``train()`` with a
            ``KNNMonitorHook`` (``knn_history``) and an MSF model
            (``train/purity``).
        seconds (float): Wall time of the run.

    Returns:
        dict: ``before`` and ``after`` k-NN metrics, ``purity`` (mean over
        the last epoch, None for unlabelled data), epochs, iterations and
        time.
    """
    hub = runner.message_hub
    history = hub.get_info('knn_history') or []
    if len(history) < 2 or history[0]['iter'] != 0:
        raise RuntimeError(
            'the demo needs KNNMonitorHook(eval_before_train=True) in '
            'custom_hooks to compare random init with the trained backbone')
    purity = hub.log_scalars.get('train/purity')
    iters_per_epoch = len(runner.train_dataloader)
    return dict(
        before=history[0],
        after=history[-1],
        history=history,
        purity=None if purity is None else float(purity.mean(iters_per_epoch)),
        epochs=runner.epoch,
        iters=runner.iter,
        seconds=round(seconds, 1),
        work_dir=runner.work_dir)


def format_report(summary: Dict) -> str:
    """Human-readable table of :func:`summarize`'s output."""
    keys = [('knn_top1', 'weighted 20-NN top-1'), ('knn_1nn', '1-NN'),
            ('knn_20nn', '20-NN (majority)')]
    before, after = summary['before'], summary['after']
    lines = [
        '', 'MSF CPU demo: k-NN accuracy (%) of the backbone on held-out '
        'digits', f'{"":24s}{"random init":>12s}{"after MSF":>12s}'
        f'{"change":>9s}'
    ]
    for key, name in keys:
        delta = after[key] - before[key]
        lines.append(f'{name:24s}{before[key]:12.2f}{after[key]:12.2f}'
                     f'{delta:+9.2f}')
    if summary['purity'] is not None:
        lines.append(f'final neighbour purity (last epoch mean): '
                     f'{summary["purity"]:.3f}')
    lines.append(f'{summary["epochs"]} epochs, {summary["iters"]} '
                 f'iterations in {summary["seconds"]:.0f} s; logs and '
                 f'checkpoints in {summary["work_dir"]}')
    if after['knn_top1'] <= before['knn_top1']:
        lines.append('WARNING: the trained backbone does not beat random '
                     'init on weighted k-NN in this run.')
    return '\n'.join(lines)


def format_figures(figures: Dict[str, str]) -> str:
    """Lines naming the figures the demo drew (name -> PNG path)."""
    names = dict(retrieval='nearest-neighbour retrievals',
                 tsne='t-SNE, random init vs after MSF',
                 curves='training curves (loss, purity, k-NN)')
    return '\n'.join(['figures (docs/figures.md):'] + [
        f'  {names.get(key, key):38s}{path}' for key, path in figures.items()
    ])
