# Copyright (c) mmmsf contributors. All rights reserved.
"""The figure tools write PNGs of the expected size from a tiny checkpoint
on the embedded digits; the k-means scores are scikit-learn's and the
Hungarian cluster accuracy is exact."""
import itertools
import json
import os.path as osp
import runpy
import sys

import numpy as np
import pytest
from PIL import Image
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

from mmmsf.datasets import EmbeddedDigits
from mmmsf.evaluation.clustering import (cluster_accuracy, clustering_scores,
                                         kmeans_clusters)

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))
from conftest import DEMO_CONFIG, REPO_ROOT  # noqa: E402
from eval_helpers import save_msf_checkpoint, tiny_split  # noqa: E402

TOOLS = osp.join(REPO_ROOT, 'tools')
# the figure code and the demo's report are modules of the tools
sys.path[:0] = [osp.join(TOOLS, 'visualization'), TOOLS]
from msf_figures import cluster_grid_size  # noqa: E402
from msf_figures import curves_size  # noqa: E402
from msf_figures import load_scalars  # noqa: E402
from msf_figures import retrieval_grid_size  # noqa: E402
from msf_figures import tsne_panels_size  # noqa: E402

# 8x8 digits, few of them: every tool runs in about a second
TINY_OPTS = {
    'knn_reference_dataloader.dataset.source': 'sklearn',
    'knn_reference_dataloader.dataset.indices': 120,
    'knn_query_dataloader.dataset.source': 'sklearn',
    'knn_query_dataloader.dataset.indices': 60,
}
TINY = [f'{key}={value}' for key, value in TINY_OPTS.items()]


@pytest.fixture(scope='module')
def checkpoint(tmp_path_factory):
    path = str(tmp_path_factory.mktemp('ckpt') / 'epoch_1.pth')
    save_msf_checkpoint(path, seed=1)
    return path


def run_tool(script, *args, capsys=None):
    """Run a tool's ``__main__`` in this process (no interpreter start)."""
    argv = sys.argv
    sys.argv = [script, *map(str, args)]
    try:
        runpy.run_path(osp.join(TOOLS, script), run_name='__main__')
    finally:
        sys.argv = argv
    if capsys is not None:
        return capsys.readouterr().out


def png_size(path):
    """``(width, height)`` of an image file, read back with PIL."""
    with Image.open(path) as image:
        assert image.format == 'PNG'
        return image.size


def test_knn_retrieval_grid(tmp_path, checkpoint, capsys):
    out = tmp_path / 'retrieval.png'
    printed = run_tool('visualization/knn_retrieval.py',
                       DEMO_CONFIG,
                       checkpoint,
                       '--out',
                       out,
                       '--k',
                       3,
                       '--num-queries',
                       4,
                       '--cfg-options',
                       *TINY,
                       capsys=capsys)
    assert png_size(out) == retrieval_grid_size(4, 3)
    info = json.loads(printed.strip().splitlines()[-1])
    assert 0 <= info['same_label'] <= 1


def test_knn_retrieval_finds_the_query_itself(tmp_path, checkpoint):
    """Queries drawn from the training set: the nearest training image is
    the query itself (cosine 1)."""
    from mmengine.config import Config
    from msf_figures.paper_figures import knn_retrieval_figure
    cfg = Config.fromfile(DEMO_CONFIG)
    cfg.merge_from_dict(
        TINY_OPTS | {
            'knn_query_dataloader.dataset.split': 'train',
            'knn_query_dataloader.dataset.indices': 120,
        })
    info = knn_retrieval_figure(cfg,
                                checkpoint,
                                str(tmp_path / 'self.png'),
                                k=2,
                                query_indices=[3, 50, 97])
    assert [row[0] for row in info['neighbor_indices']] == [3, 50, 97]
    assert info['size'] == list(retrieval_grid_size(3, 2)[::-1])


def test_tsne_panels_per_checkpoint(tmp_path, checkpoint, capsys):
    out = tmp_path / 'tsne.png'
    printed = run_tool('visualization/tsne.py',
                       DEMO_CONFIG,
                       'random',
                       checkpoint,
                       '--out',
                       out,
                       '--classes',
                       0,
                       1,
                       2,
                       '--per-class',
                       3,
                       '--cfg-options',
                       *TINY,
                       capsys=capsys)
    assert png_size(out) == tsne_panels_size(2)
    info = json.loads(printed.strip().splitlines()[-1])
    labels = EmbeddedDigits(source='sklearn', split='test',
                            indices=60).get_gt_labels()
    assert info['classes'] == [0, 1, 2]
    assert info['num_samples'] == sum(
        min(3, int((labels == c).sum())) for c in (0, 1, 2))


def test_tsne_rejects_a_missing_class(tmp_path, checkpoint):
    with pytest.raises(ValueError, match=r'classes \[42\] have no sample'):
        run_tool('visualization/tsne.py', DEMO_CONFIG, checkpoint, '--out',
                 tmp_path / 'x.png', '--classes', 1, 42, '--cfg-options',
                 *TINY)
    assert not (tmp_path / 'x.png').exists()


def test_kmeans_tool_writes_metrics_and_grid(tmp_path, checkpoint):
    run_tool('analysis_tools/kmeans_clusters.py', DEMO_CONFIG, checkpoint,
             '--num-clusters', 4, '--members', 3, '--work-dir', tmp_path,
             '--cfg-options', *TINY)
    with open(tmp_path / 'kmeans_metrics.json') as f:
        result = json.load(f)
    metrics = result['metrics']
    assert metrics['num_clusters'] == 4 and metrics['num_samples'] == 60
    assert 0 <= metrics['nmi'] <= 1 and 0 < metrics['cluster_acc'] <= 1
    assert result['checkpoint'] == checkpoint
    assert png_size(tmp_path / 'kmeans_clusters.png') == cluster_grid_size(
        4, 3)


def test_kmeans_tool_refuses_a_mismatched_checkpoint(tmp_path, checkpoint):
    """Strict loading: a checkpoint of another width is refused."""
    with pytest.raises(RuntimeError, match='Refusing to load'):
        run_tool('analysis_tools/kmeans_clusters.py', DEMO_CONFIG, checkpoint,
                 '--work-dir', tmp_path, '--cfg-options',
                 'model.backbone.base_channels=8', *TINY)
    assert not (tmp_path / 'kmeans_metrics.json').exists()


def test_clustering_scores_equal_scikit_learn():
    rng = np.random.RandomState(0)
    labels = rng.randint(0, 5, 200)
    clusters = np.where(rng.rand(200) < 0.7, labels, rng.randint(0, 6, 200))
    scores = clustering_scores(labels, clusters)
    assert scores['nmi'] == pytest.approx(
        normalized_mutual_info_score(labels, clusters))
    assert scores['ari'] == pytest.approx(adjusted_rand_score(
        labels, clusters))
    assert 0.2 < scores['nmi'] < 1 and 0.2 < scores['ari'] < 1


def test_cluster_accuracy_on_permutations():
    labels = np.array([0, 0, 1, 1, 2, 2, 2])
    # cluster ids are an arbitrary permutation of the classes
    assert cluster_accuracy(labels, np.array([7, 7, 3, 3, 5, 5, 5])) == 1.0
    # one sample in the wrong cluster
    assert cluster_accuracy(labels, np.array([2, 2, 0, 1, 1, 1,
                                              1])) == pytest.approx(6 / 7)
    # one-to-one: both clusters are mostly 0, but only one may map to it
    # (a majority vote per cluster would score 5/6)
    assert cluster_accuracy(np.array([0, 0, 0, 0, 0, 1]),
                            np.array([0, 0, 0, 1, 1,
                                      1])) == pytest.approx(4 / 6)
    # brute force over every map of 5 clusters to 4 classes
    rng = np.random.RandomState(1)
    for _ in range(5):
        labels = rng.randint(0, 4, 30)
        clusters = rng.randint(0, 5, 30)
        best = max(
            np.mean([perm[c] == l for c, l in zip(clusters, labels)])
            for perm in itertools.permutations(range(5)))
        assert cluster_accuracy(labels, clusters) == pytest.approx(best)
    with pytest.raises(ValueError, match='same length'):
        cluster_accuracy(labels, clusters[:-1])


def test_kmeans_recovers_separated_clusters():
    rng = np.random.RandomState(0)
    centres = np.eye(3) * 10
    labels = np.repeat(np.arange(3), 20)
    feats = centres[labels] + rng.randn(60, 3)
    clusters, dists = kmeans_clusters(feats, 3)
    assert clustering_scores(labels, clusters)['cluster_acc'] == 1.0
    assert dists.shape == (60, ) and (dists >= 0).all()


def _write_scalars(run_dir, records):
    vis = run_dir / 'vis_data'
    vis.mkdir(parents=True)
    with open(vis / 'scalars.json', 'w') as f:
        for record in records:
            f.write(json.dumps(record) + '\n')


def test_plot_curves_from_logs(tmp_path, capsys):
    train = [
        dict(lr=0.1,
             loss=1.0 - 0.1 * i,
             purity=0.2 + 0.05 * i,
             epoch=1,
             iter=i,
             step=i) for i in range(1, 6)
    ]
    knn = [{
        'knn/knn_top1': 80.0 + s,
        'knn/knn_1nn': 81.0,
        'step': s
    } for s in (0, 5)]
    _write_scalars(tmp_path / '20261123_100000', train + knn)
    # a resumed run logs step 5 again: the newer value wins
    _write_scalars(tmp_path / '20261123_110000',
                   [dict(lr=0.1, loss=0.25, epoch=2, iter=5, step=5)])
    scalars = load_scalars(str(tmp_path))
    steps, loss = scalars['loss']
    assert steps.tolist() == [1, 2, 3, 4, 5] and loss[-1] == 0.25
    assert scalars['knn/knn_top1'][1].tolist() == [80.0, 85.0]

    run_tool('analysis_tools/plot_curves.py', tmp_path)
    assert png_size(tmp_path / 'training_curves.png') == curves_size(3)
    out = tmp_path / 'lr.png'
    run_tool('analysis_tools/plot_curves.py', tmp_path, '--out', out, '--keys',
             'lr')
    assert png_size(out) == curves_size(1)
    with pytest.raises(ValueError, match='logged keys'):
        run_tool('analysis_tools/plot_curves.py', tmp_path, '--keys',
                 'nothing')
    with pytest.raises(FileNotFoundError, match='no scalars.json'):
        run_tool('analysis_tools/plot_curves.py', tmp_path / 'empty')


def test_demo_draws_its_figures(tmp_path, checkpoint):
    """tools/demo.py's figures from a finished run's work dir."""
    import shutil

    from demo_report import format_figures
    from mmengine.config import Config
    demo = runpy.run_path(osp.join(TOOLS, 'demo.py'))
    shutil.copy(checkpoint, tmp_path / 'epoch_1.pth')
    (tmp_path / 'last_checkpoint').write_text(str(tmp_path / 'epoch_1.pth'))
    _write_scalars(tmp_path / '20261123_100000', [
        dict(lr=0.1, loss=1.0, purity=0.3, step=1), {
            'knn/knn_top1': 80.0,
            'step': 0
        }
    ])
    cfg = Config.fromfile(DEMO_CONFIG)
    cfg.merge_from_dict(TINY_OPTS)
    figures = demo['write_figures'](cfg, str(tmp_path))
    assert png_size(figures['retrieval']) == retrieval_grid_size(8, 8)
    assert png_size(figures['tsne']) == tsne_panels_size(2)
    assert png_size(figures['curves']) == curves_size(3)
    lines = format_figures(figures).splitlines()
    assert len(lines) == 4 and lines[1].endswith('knn_retrieval.png')


def test_digits_results_table(tmp_path, checkpoint, capsys, monkeypatch):
    """The table script runs every evaluation tool and tabulates their
    outputs; a second run reuses them."""
    args = [
        '--row', 'MSF tiny', DEMO_CONFIG, checkpoint, '--work-dir', tmp_path,
        '--linear-options', *tiny_split('train_dataloader', 64),
        *tiny_split('val_dataloader', 32), 'train_dataloader.batch_size=16',
        'train_cfg.max_epochs=1', '--knn-options', *TINY
    ]
    run_tool('analysis_tools/digits_results_table.py', *args)
    row = tmp_path / 'msf_tiny'
    with open(row / 'knn' / 'knn_metrics.json') as f:
        knn = json.load(f)['metrics']
    with open(row / 'kmeans' / 'kmeans_metrics.json') as f:
        nmi = json.load(f)['metrics']['nmi']
    linear = {
        key: load_scalars(str(row / key))['accuracy/top1'][1][-1]
        for key in ('linear_msf', 'linear_std')
    }
    table = (tmp_path / 'digits_table.md').read_text().splitlines()
    assert len(table) == 3 and table[2].startswith('| MSF tiny |')
    cells = [c.strip() for c in table[2].split('|')[4:-1]]
    assert cells == [
        f'{v:.1f}' for v in (linear['linear_msf'], linear['linear_std'],
                             knn['knn_1nn'], knn['knn_20nn'], 100 * nmi)
    ]
    with open(tmp_path / 'digits_table.json') as f:
        assert json.load(f)[0]['results']['knn_1nn'] == knn['knn_1nn']

    def _no_rerun(*args, **kwargs):
        raise AssertionError(f'evaluation run again: {args}')

    monkeypatch.setattr('subprocess.run', _no_rerun)
    capsys.readouterr()
    assert '| MSF tiny |' in run_tool('analysis_tools/digits_results_table.py',
                                      *args,
                                      capsys=capsys)
