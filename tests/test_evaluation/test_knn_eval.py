# Copyright (c) mmmsf contributors. All rights reserved.
"""tools/benchmarks/knn_eval: numbers against a brute-force reference, and
the launcher end to end on CPU."""
import json
import os
import os.path as osp
import subprocess
import sys

import numpy as np
import pytest
import torch
from conftest import free_port
from eval_helpers import (DEMO_CONFIG, KNN_SCRIPT, RENAMED, REPO_ROOT,
                          save_msf_checkpoint, save_renamed_checkpoint,
                          tiny_split)

from mmmsf.engine.hooks import KNNMonitorHook
from mmmsf.evaluation import knn_accuracy


def reference_knn(train, train_labels, test, test_labels, k, num_classes,
                  temperature):
    """Loop-per-query k-NN written from the protocol definitions."""
    train = train / np.linalg.norm(train, axis=1, keepdims=True)
    test = test / np.linalg.norm(test, axis=1, keepdims=True)
    majority = top1 = top5 = 0
    for q, y in zip(test, test_labels):
        sims = train @ q
        nearest = sorted(range(len(train)), key=lambda i: -sims[i])[:k]
        labels = [int(train_labels[i]) for i in nearest]
        # majority: most votes; a tie goes to the class met first
        counts = {c: labels.count(c) for c in labels}
        best = max(counts.values())
        pred = next(c for c in labels if counts[c] == best)
        majority += pred == y
        # weighted: sum of exp(sim / T); equal scores ranked by class index
        scores = np.zeros(num_classes)
        for i in nearest:
            scores[train_labels[i]] += np.exp(sims[i] / temperature)
        ranked = sorted(range(num_classes), key=lambda c: (-scores[c], c))
        top1 += ranked[0] == y
        top5 += y in ranked[:min(5, k)]
    n = len(test)
    return 100. * majority / n, 100. * top1 / n, 100. * top5 / n


@pytest.fixture
def features():
    rng = np.random.RandomState(0)
    num_classes, dim = 8, 16
    centres = rng.randn(num_classes, dim)
    # unbalanced: class 7 has 3 members, fewer than most k below
    sizes = [30, 25, 20, 20, 15, 10, 7, 3]
    train_labels = np.concatenate([np.full(s, c) for c, s in enumerate(sizes)])
    train = centres[train_labels] + 1.5 * rng.randn(len(train_labels), dim)
    test_labels = rng.randint(0, num_classes, 60)
    test = centres[test_labels] + 1.5 * rng.randn(60, dim)
    return (train.astype(np.float32), train_labels, test.astype(np.float32),
            test_labels, num_classes)


@pytest.mark.parametrize('use_faiss', [False, True])
def test_matches_brute_force(features, use_faiss):
    train, train_labels, test, test_labels, num_classes = features
    ks = (1, 2, 4, 5, 20, 100)
    metrics, notes = knn_accuracy(torch.from_numpy(train),
                                  torch.from_numpy(train_labels),
                                  torch.from_numpy(test),
                                  torch.from_numpy(test_labels),
                                  majority_ks=ks,
                                  weighted_ks=ks,
                                  temperature=0.07,
                                  num_classes=num_classes,
                                  use_faiss=use_faiss,
                                  query_chunk=7)
    assert notes == []
    for k in ks:
        majority, top1, top5 = reference_knn(train, train_labels, test,
                                             test_labels, k, num_classes, 0.07)
        assert metrics[f'knn_{k}nn'] == pytest.approx(majority)
        assert metrics[f'weighted_k{k}_top1'] == pytest.approx(top1)
        assert metrics[f'weighted_k{k}_top5'] == pytest.approx(top5)


def test_agrees_with_monitor_functions(features):
    """Same numbers as the KNNMonitorHook (one search for both votes)."""
    train, train_labels, test, test_labels, num_classes = features
    args = [
        torch.from_numpy(a) for a in (train, train_labels, test, test_labels)
    ]
    metrics, _ = knn_accuracy(*args,
                              majority_ks=(1, 20),
                              weighted_ks=(20, ),
                              num_classes=8)
    monitor = KNNMonitorHook({}, {}, k=20, majority_ks=(1, 20)).score(*args)
    majority = {1: monitor['knn_1nn'], 20: monitor['knn_20nn']}
    top1, top5 = monitor['knn_top1'], monitor['knn_top5']
    assert metrics['knn_1nn'] == majority[1]
    assert metrics['knn_20nn'] == majority[20]
    assert metrics['weighted_k20_top1'] == pytest.approx(top1)
    assert metrics['weighted_k20_top5'] == pytest.approx(top5)


def test_weighted_vote_matches_mmselfsup_knn_eval(features):
    """mmmsf's one weighted vote gives mmselfsup's ``knn_eval`` numbers."""
    knn_eval = pytest.importorskip('mmselfsup.evaluation.functional').knn_eval
    train, train_labels, test, test_labels, num_classes = features
    args = [
        torch.from_numpy(a) for a in (train, train_labels, test, test_labels)
    ]
    for k in (5, 20, 100):
        metrics, _ = knn_accuracy(*args,
                                  majority_ks=(),
                                  weighted_ks=(k, ),
                                  temperature=0.07,
                                  num_classes=num_classes)
        top1, top5 = (metrics[f'weighted_k{k}_top1'],
                      metrics[f'weighted_k{k}_top5'])
        # knn_eval splits the queries into 100 chunks: give it 120 (each
        # query twice, the same accuracy)
        ref1, ref5 = knn_eval(args[0], args[1].long(), args[2].repeat(2, 1),
                              args[3].long().repeat(2), k, 0.07, num_classes)
        assert top1 == pytest.approx(float(ref1))
        assert top5 == pytest.approx(float(ref5))


def test_majority_tie_goes_to_nearer_class():
    # neighbours of the query by similarity: class 1, 0, 0, 1
    train = torch.tensor([[1., 0.], [.8, .6], [.6, .8], [0., 1.]])
    train_labels = torch.tensor([1, 0, 0, 1])
    query = torch.tensor([[1., 0.01]])
    for label, k, expected in ((1, 4, 100.), (0, 4, 0.), (0, 3, 100.)):
        metrics, _ = knn_accuracy(train,
                                  train_labels,
                                  query,
                                  torch.tensor([label]),
                                  majority_ks=(k, ),
                                  weighted_ks=())
        assert metrics[f'knn_{k}nn'] == expected


def test_k_larger_than_train_set_is_skipped_with_note(features):
    train, train_labels, test, test_labels, _ = features
    metrics, notes = knn_accuracy(*[
        torch.from_numpy(a) for a in (train, train_labels, test, test_labels)
    ],
                                  majority_ks=(1, 500),
                                  weighted_ks=(200, 10))
    assert set(metrics) == {
        'knn_1nn', 'weighted_k10_top1', 'weighted_k10_top5'
    }
    assert len(notes) == 2 and all('130 training features' in n for n in notes)


def _run(args, cwd, port=0):
    env = dict(os.environ, PYTHON=sys.executable, PORT=str(port))
    return subprocess.run(['bash', KNN_SCRIPT] + args,
                          cwd=cwd,
                          env=env,
                          capture_output=True,
                          text=True,
                          timeout=300)


def _tiny():
    return (['--cfg-options'] + tiny_split('knn_reference_dataloader', 120) +
            tiny_split('knn_query_dataloader', 40))


def test_knn_eval_sh_end_to_end(tmp_path):
    ckpt = str(tmp_path / 'msf.pth')
    save_msf_checkpoint(ckpt)
    proc = _run([DEMO_CONFIG, ckpt, '1'] + _tiny(), tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    work_dir = tmp_path / 'work_dirs' / 'knn' / 'msf_digits_cpu_demo' / 'msf'
    result = json.loads((work_dir / 'knn_metrics.json').read_text())
    assert (result['num_train'], result['num_val']) == (120, 40)
    assert set(result['metrics']) == {
        'knn_1nn', 'knn_20nn', 'weighted_k10_top1', 'weighted_k10_top5',
        'weighted_k20_top1', 'weighted_k20_top5', 'weighted_k100_top1',
        'weighted_k100_top5'
    }
    assert result['notes'] == [
        'weighted k=200 skipped: only 120 training features'
    ]
    assert 'Loaded 120 tensors' in proc.stdout + proc.stderr
    assert len(list(work_dir.glob('features_*.pth'))) == 1
    # second run: cached features, faiss search, same numbers
    out = str(tmp_path / 'faiss.json')
    proc = _run([DEMO_CONFIG, ckpt, '1'] + _tiny() + ['--faiss', '--out', out],
                tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert 'Loading cached features' in proc.stdout + proc.stderr
    assert json.loads(open(out).read())['metrics'] == result['metrics']


def test_knn_eval_two_processes_match_one(tmp_path):
    """2 gloo processes (odd set sizes, so the sampler pads a rank): every
    feature comes back once, in order, and the numbers are those of one
    process."""
    ckpt = str(tmp_path / 'msf.pth')
    save_msf_checkpoint(ckpt)
    options = (['--cfg-options'] +
               tiny_split('knn_reference_dataloader', 121) +
               tiny_split('knn_query_dataloader', 41) + ['--no-cache'])
    results = []
    for gpus in ('1', '2'):
        out = str(tmp_path / f'{gpus}.json')
        proc = _run([DEMO_CONFIG, ckpt, gpus] + options + ['--out', out],
                    tmp_path,
                    port=free_port())
        assert proc.returncode == 0, proc.stderr[-3000:]
        results.append(json.loads(open(out).read()))
    one, two = results
    assert (two['num_train'], two['num_val']) == (121, 41)
    assert two['metrics'] == one['metrics']


def test_knn_eval_refuses_renamed_checkpoint(tmp_path, monkeypatch):
    ckpt, renamed = str(tmp_path / 'msf.pth'), str(tmp_path / 'bad.pth')
    save_msf_checkpoint(ckpt)
    save_renamed_checkpoint(ckpt, renamed)
    sys.path.insert(0, osp.join(REPO_ROOT, 'tools', 'benchmarks'))
    import knn_eval
    monkeypatch.setattr(sys, 'argv', [
        'knn_eval.py', DEMO_CONFIG, renamed, '--work-dir',
        str(tmp_path / 'w')
    ])
    with pytest.raises(RuntimeError) as err:
        knn_eval.main()
    for key in RENAMED:
        assert key[len('backbone.'):] in str(err.value)
