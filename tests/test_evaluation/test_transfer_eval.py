# Copyright (c) mmmsf contributors. All rights reserved.
"""Linear transfer evaluation (table 3): the ten datasets in their real
on-disk formats, read by mmpretrain's classes; the validation-split rule;
the metrics; the choice of the regularisation; the tools end to end."""
import glob
import json
import os
import os.path as osp
import pickle
import runpy
import subprocess
import sys

import mat4py
import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from PIL import Image
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, balanced_accuracy_score

from mmmsf.evaluation import (default_regularization_grid, held_out_split,
                              transfer_linear_eval, transfer_score)

sys.path.insert(0, osp.dirname(osp.dirname(__file__)))
from conftest import REPO_ROOT  # noqa: E402

# the program's modules (feature extraction, the paper's table)
sys.path.insert(0, osp.join(REPO_ROOT, 'tools', 'benchmarks'))
from transfer_pipeline import check_split_lists  # noqa: E402
from transfer_pipeline import extract_transfer_features  # noqa: E402
from transfer_pipeline import transfer_splits  # noqa: E402
from transfer_report import PAPER_MSF_TRANSFER  # noqa: E402
from transfer_report import transfer_summary_markdown  # noqa: E402

CONFIG_DIR = osp.join(REPO_ROOT, 'configs', 'benchmarks', 'transfer')
# a slim ResNet-18 (64-d features) instead of the configs' ResNet-50
TINY_MODEL = {
    'model.backbone.depth': 18,
    'model.backbone.stem_channels': 8,
    'model.backbone.base_channels': 8,
    'feature_loader.num_workers': 0,
    'feature_loader.batch_size': 16,
    # mmengine's serialisation runs gc.collect(), slow in a big test process
    'transfer.dataset.serialize_data': False,
}
# the datasets of the summary run: a held-out val, an in-memory format, an
# official val, and one without data
SUMMARY_RUN = ('food101', 'cifar10', 'dtd', 'sun397')
LAMBDAS = [1e-3, 1e-1, 1e1, 1e3]
NUM_CLASSES = 3
# images per class in each split the fixture writes
PER_CLASS = dict(train=5, val=2, test=2)
# config file suffix -> (data root under data/, split -> samples)
EXPECTED = {
    'food101': ('food-101', dict(train=15, test=6)),
    'cifar10': ('cifar10', dict(train=15, test=6)),
    'cifar100': ('cifar100', dict(train=15, test=6)),
    'sun397': ('SUN397', dict(train=15, test=6)),
    'stanford-cars': ('Stanford_Cars', dict(train=15, test=6)),
    'fgvc-aircraft':
    ('fgvc-aircraft-2013b', dict(train=15, val=6, trainval=21, test=6)),
    'dtd': ('dtd', dict(train=15, val=6, trainval=21, test=6)),
    'oxford-pets': ('Oxford-IIIT_Pets', dict(trainval=15, test=6)),
    'caltech101': ('caltech-101', dict(train=15, test=6)),
    'flowers102': ('flowers102', dict(train=15, val=6, trainval=21, test=6)),
}
OFFICIAL_VAL = {'fgvc-aircraft', 'dtd', 'flowers102'}


def _config(name: str) -> str:
    return osp.join(CONFIG_DIR, f'resnet50_lbfgs-linear_{name}.py')


def _image(path: str, label: int, rng: np.random.Generator) -> None:
    """A tiny JPEG whose colour depends on its class."""
    os.makedirs(osp.dirname(path), exist_ok=True)
    pixels = rng.integers(0, 60, (16, 20, 3)) + 60 * label
    Image.fromarray(pixels.astype(np.uint8)).save(path)


def _labels(split: str):
    """(index in split, label) pairs, classes interleaved."""
    n = PER_CLASS[split]
    return [(i, i % NUM_CLASSES) for i in range(n * NUM_CLASSES)]


def _write_food101(root, rng):
    classes = ['apple_pie', 'baklava', 'waffles']
    for split in ('train', 'test'):
        lines = []
        for i, y in _labels(split):
            name = f'{split}{i}'
            _image(osp.join(root, 'images', classes[y], f'{name}.jpg'), y, rng)
            lines.append(f'{classes[y]}/{name}')
        _write_lines(osp.join(root, 'meta', f'{split}.txt'), lines)


def _write_cifar(root, rng, hundred):
    folder = osp.join(root,
                      'cifar-100-python' if hundred else 'cifar-10-batches-py')
    os.makedirs(folder)
    key = 'fine_labels' if hundred else 'labels'
    files = dict(train=['train']
                 if hundred else [f'data_batch_{i}' for i in range(1, 6)],
                 test=['test'] if hundred else ['test_batch'])
    for split, names in files.items():
        labels = [y for _, y in _labels(split)]
        chunks = np.array_split(np.arange(len(labels)), len(names))
        for name, idx in zip(names, chunks):
            data = np.stack([
                rng.integers(0, 60, 3072) + 60 * labels[i] for i in idx
            ]).astype(np.uint8)  # N x 3072, channel-major rows
            with open(osp.join(folder, name), 'wb') as f:
                pickle.dump({'data': data, key: [labels[i] for i in idx]}, f)
    meta = ('meta', 'fine_label_names') if hundred else ('batches.meta',
                                                         'label_names')
    with open(osp.join(folder, meta[0]), 'wb') as f:
        pickle.dump({meta[1]: ['a', 'b', 'c']}, f)


def _write_sun397(root, rng):
    classes = [('a', 'abbey'), ('a', 'airplane_cabin'),
               ('a', 'apartment_building/outdoor')]
    for split, ann in (('train', 'Training_01'), ('test', 'Testing_01')):
        lines = []
        for i, y in _labels(split):
            rel = f'/{classes[y][0]}/{classes[y][1]}/sun_{split}{i}.jpg'
            _image(osp.join(root, 'SUN397') + rel, y, rng)
            lines.append(rel)
        _write_lines(osp.join(root, 'Partitions', f'{ann}.txt'), lines)


def _write_stanford_cars(root, rng):
    paths, classes, test = [], [], []
    for split in ('train', 'test'):
        for i, y in _labels(split):
            rel = f'car_ims/{split}{i:05d}.jpg'
            _image(osp.join(root, rel), y, rng)
            paths.append(rel)
            classes.append(y + 1)  # 1-based
            test.append(int(split == 'test'))
    mat4py.savemat(osp.join(root, 'cars_annos.mat'), {
        'annotations': {
            'relative_im_path': paths,
            'class': classes,
            'test': test
        }
    })


def _write_fgvc_aircraft(root, rng):
    classes = ['707-320', '727-200', 'A320']
    data = osp.join(root, 'data')
    lines = {}
    for split in ('train', 'val', 'test'):
        lines[split] = []
        for i, y in _labels(split):
            name = f'{len(lines) * 1000 + i:07d}'
            _image(osp.join(data, 'images', f'{name}.jpg'), y, rng)
            lines[split].append(f'{name} {classes[y]}')
        _write_lines(osp.join(data, f'images_variant_{split}.txt'),
                     lines[split])
    _write_lines(osp.join(data, 'images_variant_trainval.txt'),
                 lines['train'] + lines['val'])


def _write_dtd(root, rng):
    classes = ['banded', 'blotchy', 'braided']
    names, labels, sets = [], [], []
    for set_id, split in enumerate(('train', 'val', 'test'), 1):
        for i, y in _labels(split):
            rel = f'{classes[y]}/{classes[y]}_{split}{i:04d}.jpg'
            _image(osp.join(root, 'images', rel), y, rng)
            names.append(rel)
            labels.append(y + 1)  # 1-based
            sets.append(set_id)
    for set_id, split in enumerate(('train', 'val', 'test'), 1):
        _write_lines(osp.join(root, 'labels', f'{split}1.txt'),
                     [n for n, s in zip(names, sets) if s == set_id])
    os.makedirs(osp.join(root, 'imdb'))
    mat4py.savemat(osp.join(root, 'imdb', 'imdb.mat'),
                   {'images': {
                       'name': names,
                       'class': labels,
                       'set': sets
                   }})


def _write_oxford_pets(root, rng):
    classes = ['Abyssinian', 'american_bulldog', 'basset_hound']
    for split, ann in (('train', 'trainval'), ('test', 'test')):
        lines = []
        for i, y in _labels(split):
            name = f'{classes[y]}_{split}{i}'
            _image(osp.join(root, 'images', f'{name}.jpg'), y, rng)
            lines.append(f'{name} {y + 1} 1 1')  # CLASS-ID SPECIES BREED-ID
        _write_lines(osp.join(root, 'annotations', f'{ann}.txt'), lines)


def _write_caltech101(root, rng):
    classes = ['accordion', 'airplanes', 'anchor']
    for split in ('train', 'test'):
        lines = []
        for i, y in _labels(split):
            rel = f'{classes[y]}/image_{split}{i:04d}.jpg'
            _image(osp.join(root, '101_ObjectCategories', rel), y, rng)
            lines.append(f'{rel} {y}')
        _write_lines(osp.join(root, 'meta', f'{split}.txt'), lines)


def _write_flowers102(root, rng):
    labels, ids = [], dict(trnid=[], valid=[], tstid=[])
    for key, split in (('trnid', 'train'), ('valid', 'val'), ('tstid',
                                                              'test')):
        for _, y in _labels(split):
            labels.append(y + 1)  # 1-based
            image_id = len(labels)
            _image(osp.join(root, 'jpg', f'image_{image_id:05d}.jpg'), y, rng)
            ids[key].append(image_id)
    mat4py.savemat(osp.join(root, 'imagelabels.mat'), {'labels': labels})
    mat4py.savemat(osp.join(root, 'setid.mat'), ids)


def _write_lines(path, lines):
    os.makedirs(osp.dirname(path), exist_ok=True)
    with open(path, 'w') as f:
        f.write('\n'.join(lines) + '\n')


WRITERS = {
    'food101': _write_food101,
    'cifar10': lambda root, rng: _write_cifar(root, rng, False),
    'cifar100': lambda root, rng: _write_cifar(root, rng, True),
    'sun397': _write_sun397,
    'stanford-cars': _write_stanford_cars,
    'fgvc-aircraft': _write_fgvc_aircraft,
    'dtd': _write_dtd,
    'oxford-pets': _write_oxford_pets,
    'caltech101': _write_caltech101,
    'flowers102': _write_flowers102,
}


@pytest.fixture(autouse=True)
def _no_cifar_md5(monkeypatch):
    """mmpretrain checks the md5 of the real CIFAR files; tiny files in the
    same pickled format cannot match it."""
    from mmpretrain.datasets import CIFAR10, CIFAR100
    for cls in (CIFAR10, CIFAR100):
        for attr in ('train_list', 'test_list'):
            monkeypatch.setattr(cls, attr, [[name, None]
                                            for name, _ in getattr(cls, attr)])


@pytest.fixture(scope='module')
def workspace(tmp_path_factory):
    """``data/`` with all ten tiny datasets and a slim ResNet-18
    checkpoint, in one folder."""
    from mmpretrain.registry import MODELS
    root = tmp_path_factory.mktemp('transfer')
    rng = np.random.default_rng(0)
    for name, writer in WRITERS.items():
        writer(str(root / 'data' / EXPECTED[name][0]), rng)
    init_default_scope('mmpretrain')
    cfg = Config.fromfile(_config('food101'))
    cfg.merge_from_dict(TINY_MODEL)
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    ckpt = str(root / 'tiny_r18.pth')
    torch.save({'state_dict': model.state_dict()}, ckpt)
    return root, ckpt


def _tiny_cfg(name: str, root) -> Config:
    cfg = Config.fromfile(_config(name))
    cfg.merge_from_dict(TINY_MODEL)
    cfg.transfer.dataset.data_root = str(root / 'data' / EXPECTED[name][0])
    cfg.logistic_regression.lambdas = LAMBDAS
    return cfg


@pytest.mark.parametrize('name', list(EXPECTED))
def test_dataset_loads_through_mmpretrain(name, workspace):
    from mmpretrain.registry import DATASETS
    root, _ = workspace
    cfg = _tiny_cfg(name, root)
    init_default_scope('mmpretrain')
    for split, size in EXPECTED[name][1].items():
        dataset = DATASETS.build(dict(cfg.transfer.dataset, split=split))
        assert type(dataset).__name__ == cfg.transfer.dataset.type
        assert len(dataset) == size, (name, split)
        labels = [dataset.get_data_info(i)['gt_label'] for i in range(size)]
        # classes interleaved, as written (indices into the full class list)
        assert len(set(labels)) == NUM_CLASSES
        assert labels[:NUM_CLASSES] * (size // NUM_CLASSES) == labels
    # the protocol's pipeline: shorter side 224, centre crop 224
    sample = dataset[0]
    assert tuple(sample['inputs'].shape) == (3, 224, 224)
    # the splits the protocol embeds, and the validation rule
    splits = transfer_splits(cfg)
    assert ('val' in splits) == (name in OFFICIAL_VAL)
    assert splits['train'] == ('trainval'
                               if name == 'oxford-pets' else 'train')


def test_held_out_split_rule():
    labels = np.repeat(np.arange(4), [10, 10, 5, 25])
    train, val = held_out_split(labels, 0.2, seed=0)
    assert len(val) == 10 and len(train) == 40
    assert np.intersect1d(train, val).size == 0
    assert np.array_equal(np.union1d(train, val), np.arange(50))
    assert np.all(np.diff(val) > 0)
    # class-stratified: 20% of each class
    assert np.bincount(labels[val], minlength=4).tolist() == [2, 2, 1, 5]
    # deterministic, and the seed matters
    assert np.array_equal(held_out_split(labels, 0.2, 0)[1], val)
    assert not np.array_equal(held_out_split(labels, 0.2, 1)[1], val)
    # 30 classes of 5 (Caltech-like): exactly one of each held out, which a
    # plain random 20% would almost never give
    many = np.repeat(np.arange(30), 5)
    assert np.bincount(many[held_out_split(many)[1]]).tolist() == [1] * 30
    with pytest.raises(ValueError, match='class 7 has 1'):
        held_out_split(np.array([0, 0, 7]), 0.2)


def test_metrics_on_a_hand_made_case():
    y_true = np.array([0, 0, 0, 0, 0, 0, 1, 1, 2, 2])
    y_pred = np.array([0, 0, 0, 0, 0, 0, 0, 1, 0, 0])
    # top-1 7/10; per class 6/6, 1/2, 0/2 -> mean 1/2
    assert transfer_score('top1', y_true, y_pred) == pytest.approx(70.)
    assert transfer_score('mean_per_class', y_true,
                          y_pred) == pytest.approx(50.)
    assert transfer_score('top1', y_true, y_pred) == pytest.approx(
        100 * accuracy_score(y_true, y_pred))
    assert transfer_score('mean_per_class', y_true, y_pred) == pytest.approx(
        100 * balanced_accuracy_score(y_true, y_pred))
    with pytest.raises(ValueError, match='Unknown transfer metric'):
        transfer_score('top5', y_true, y_pred)


def test_default_grid_is_the_protocols():
    grid = default_regularization_grid()
    assert len(grid) == 45
    assert grid[0] == pytest.approx(1e-6) and grid[-1] == pytest.approx(1e5)
    assert np.allclose(np.diff(np.log10(grid)), 11 / 44)


def _shifted_problem(seed=0):
    """Two informative, overlapping dimensions and three tiny ones that
    separate the (imbalanced) training set but are noise elsewhere: weak
    regularisation fits the tiny ones, very strong regularisation predicts
    the majority class (the bias is not penalised), so the validation
    score peaks at lambda = 1 of [1e-4, 1e-2, 1, 1e2, 1e4]."""
    rng = np.random.default_rng(seed)

    def draw(y, train):
        x = rng.normal(size=(len(y), 5))
        x[:, 0] += 1. * (y == 1) - 1. * (y == 2)
        x[:, 1] += 1. * (y == 0)
        x[:, 2:] *= 0.01 if train else 0.3
        if train:
            x[np.arange(len(y)), 2 + y] += 0.05
        return x, y

    train_y = np.repeat([0, 1, 2], [30, 15, 15])
    other_y = np.arange(300) % 3
    return (draw(train_y, True), draw(other_y, False), draw(other_y, False))


def test_regularisation_is_chosen_on_validation():
    (tx, ty), (vx, vy), (sx, sy) = _shifted_problem()
    lambdas = [1e-4, 1e-2, 1., 1e2, 1e4]
    res = transfer_linear_eval(tx, ty, vx, vy, sx, sy, 'top1', lambdas)
    scores = np.asarray(res['val_scores'])
    assert res['lambdas'] == lambdas
    # the choice matters: the extremes are far worse than the best
    assert scores.max() > max(scores[0], scores[-1]) + 15
    assert res['best_val_score'] == scores.max()
    assert res['best_lambda'] == 1. == lambdas[int(scores.argmax())]
    # each validation score is that of a fit at that regularisation alone
    for lam, score in zip(lambdas, scores):
        clf = LogisticRegression(C=1 / lam, max_iter=1000).fit(tx, ty)
        assert score == pytest.approx(100 *
                                      accuracy_score(vy, clf.predict(vx)),
                                      abs=1.)
    # the test score is that of the refit on train + val
    clf = LogisticRegression(C=1., max_iter=1000).fit(np.concatenate([tx, vx]),
                                                      np.concatenate([ty, vy]))
    assert res['test_score'] == pytest.approx(
        100 * accuracy_score(sy, clf.predict(sx)))
    assert (res['num_train'], res['num_val'], res['num_test']) == (60, 300,
                                                                   300)


def test_parallel_sweep_and_ties():
    (tx, ty), (vx, vy), (sx, sy) = _shifted_problem(1)
    lambdas = [1e-2, 1., 1e2, 1e4]
    one = transfer_linear_eval(tx, ty, vx, vy, sx, sy, 'top1', lambdas)
    two = transfer_linear_eval(tx,
                               ty,
                               vx,
                               vy,
                               sx,
                               sy,
                               'top1',
                               lambdas,
                               n_jobs=2)
    assert one['best_lambda'] == two['best_lambda']
    assert np.allclose(one['val_scores'], two['val_scores'], atol=1.)
    # a constant feature: every value ties (majority class), the strongest
    # regularisation wins
    zeros = np.zeros((6, 2))
    y = np.array([0, 0, 0, 0, 1, 2])
    tie = transfer_linear_eval(zeros, y, zeros, y, zeros, y, 'top1',
                               [1e-2, 1., 1e2])
    assert len(set(tie['val_scores'])) == 1 and tie['best_lambda'] == 1e2


def test_dtd_split_is_checked_against_split_1(workspace, tmp_path):
    root, ckpt = workspace
    cfg = _tiny_cfg('dtd', root)
    init_default_scope('mmpretrain')
    check_split_lists(cfg)  # the fixture's lists agree with imdb.mat
    # a copy whose train1.txt lists another partition
    other = tmp_path / 'dtd'
    other.mkdir()
    for folder in ('images', 'imdb'):
        os.symlink(root / 'data' / 'dtd' / folder, other / folder)
    lines = open(root / 'data' / 'dtd' / 'labels' / 'train1.txt').read()
    _write_lines(str(other / 'labels' / 'train1.txt'), lines.split()[1:])
    cfg.transfer.dataset.data_root = str(other)
    with pytest.raises(ValueError, match='1 images not listed'):
        extract_transfer_features(cfg, ckpt)


def test_strict_backbone_loading(workspace, tmp_path):
    root, _ = workspace
    cfg = _tiny_cfg('dtd', root)
    cfg.model.backbone.base_channels = 16  # not the checkpoint's widths
    init_default_scope('mmpretrain')
    with pytest.raises(RuntimeError, match='Refusing to load'):
        extract_transfer_features(cfg, workspace[1])


def test_summary_table_lists_present_datasets():
    results = {
        'cifar10': dict(metric='top1', test_score=91.25),
        'flowers102': dict(metric='mean_per_class', test_score=90.0),
    }
    table = transfer_summary_markdown(results)
    rows = {line.split('|')[1].strip(): line for line in table.splitlines()}
    assert '91.2' in rows['CIFAR-10'] and '92.0' in rows['CIFAR-10']
    assert 'mean_per_class' in rows['Flowers-102']
    assert 'not run' in rows['Food-101'] and '70.7' in rows['Food-101']
    assert len([r for r in rows if r in ('CIFAR-10', 'Flowers-102')]) == 2
    mean_row = [line for line in table.splitlines() if 'mean of' in line][0]
    assert '90.6' in mean_row and '92.2' in mean_row  # paper (92.0+92.4)/2
    full = transfer_summary_markdown({
        k: dict(metric='top1', test_score=v)
        for k, v in PAPER_MSF_TRANSFER.items()
    })
    assert '| 75.8 | 75.8 |' in full and 'MoCo v2 72.6' in full


def _run_tool(argv, monkeypatch):
    monkeypatch.setattr(sys, 'argv', ['transfer_linear_eval.py'] + argv)
    runpy.run_path(osp.join(REPO_ROOT, 'tools', 'benchmarks',
                            'transfer_linear_eval.py'),
                   run_name='__main__')


def test_tools_end_to_end(workspace, tmp_path, monkeypatch):
    """The summary mode on (links to) four of the real configs and the
    data/ layout (SUN397 absent), then one dataset again from the feature
    cache."""
    root, ckpt = workspace
    overrides = ['--cfg-options'] + [f'{k}={v}' for k, v in TINY_MODEL.items()]
    work_dir = tmp_path / 'work'
    config_dir = tmp_path / 'configs'
    os.makedirs(config_dir)
    os.symlink(osp.join(CONFIG_DIR, '_base_'), config_dir / '_base_')
    for name in SUMMARY_RUN:
        os.symlink(_config(name), config_dir / osp.basename(_config(name)))
    monkeypatch.chdir(root)
    os.rename(root / 'data' / 'SUN397', root / 'SUN397.away')
    try:
        _run_tool([
            str(config_dir), ckpt, '--work-dir',
            str(work_dir), '--lambdas', '1e-2', '1'
        ] + overrides, monkeypatch)
    finally:
        os.rename(root / 'SUN397.away', root / 'data' / 'SUN397')
    summary = json.load(open(work_dir / 'transfer_summary.json'))
    assert summary['skipped'] == ['resnet50_lbfgs-linear_sun397']
    assert set(summary['results']) == {'food101', 'cifar10', 'dtd'}
    table = open(work_dir / 'transfer_summary.md').read()
    assert '| SUN397 | - | not run | 59.0 |' in table
    assert 'mean of the 3 run' in table
    for name in SUMMARY_RUN[:3]:
        sizes = EXPECTED[name][1]
        res = json.load(
            open(work_dir / f'resnet50_lbfgs-linear_{name}' /
                 'transfer_metrics.json'))
        assert res['lambdas'] == [1e-2, 1.]
        assert res['feature_dim'] == 64
        assert 0 <= res['test_score'] <= 100
        assert res['num_test'] == sizes['test']
        if name in OFFICIAL_VAL:  # the official validation split
            assert (res['num_train'], res['num_val']) == (15, 6)
            assert res['val_source'] == "official split 'val'"
        else:  # 20% of train held out, one per class here
            assert (res['num_train'], res['num_val']) == (12, 3)
            assert 'class-stratified' in res['val_source']
        assert summary['results'][res['dataset']]['test_score'] == \
            res['test_score']
        assert f'{res["test_score"]:.1f}' in table
    # one command runs one dataset; the features come from the cache
    dtd_dir = work_dir / 'resnet50_lbfgs-linear_dtd'
    cache = glob.glob(str(dtd_dir / 'features_*.pth'))
    assert len(cache) == 1
    mtime = os.stat(cache[0]).st_mtime_ns
    first = json.load(open(dtd_dir / 'transfer_metrics.json'))
    _run_tool([
        _config('dtd'), ckpt, '--work-dir',
        str(dtd_dir), '--lambdas', '1e-2', '1'
    ] + overrides, monkeypatch)
    again = json.load(open(dtd_dir / 'transfer_metrics.json'))
    assert os.stat(cache[0]).st_mtime_ns == mtime
    assert again['test_score'] == first['test_score']
    assert again['best_lambda'] == first['best_lambda']


def test_summary_shell_command(workspace, tmp_path):
    """``transfer_linear_eval.sh CHECKPOINT`` runs the datasets under
    ./data (here DTD only) in a fresh process."""
    root, ckpt = workspace
    os.makedirs(tmp_path / 'data')
    os.symlink(root / 'data' / 'dtd', tmp_path / 'data' / 'dtd')
    proc = subprocess.run([
        'bash',
        osp.join(REPO_ROOT, 'tools', 'benchmarks', 'transfer_linear_eval.sh'),
        ckpt, '--work-dir', 'out', '--lambdas', '1', '--cfg-options'
    ] + [f'{k}={v}' for k, v in TINY_MODEL.items()],
                          cwd=tmp_path,
                          env=dict(os.environ, PYTHON=sys.executable),
                          capture_output=True,
                          text=True)
    assert proc.returncode == 0, proc.stderr[-3000:]
    summary = json.load(open(tmp_path / 'out' / 'transfer_summary.json'))
    assert list(summary['results']) == ['dtd']
    assert len(summary['skipped']) == 9
