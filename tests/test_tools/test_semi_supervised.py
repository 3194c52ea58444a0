# Copyright (c) mmmsf contributors. All rights reserved.
"""T2 (1% / 10% of the ImageNet labels): make_semi_supervised_ann.py on a
tiny ImageNet folder, and the configs' datasets loading what it wrote."""
import os
import os.path as osp
import subprocess
import sys

import pytest
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmpretrain.registry import DATASETS

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))
from conftest import REPO_ROOT  # noqa: E402
from tiny_imagenet import WNIDS, make_tiny_imagenet  # noqa: E402

TOOL = osp.join(REPO_ROOT, 'tools', 'dataset_converters',
                'make_semi_supervised_ann.py')
CONFIG = osp.join(REPO_ROOT, 'configs', 'benchmarks', 'classification',
                  'resnet50_msf-linear-8xb32-steplr-40e_in1k-{}.py')
NUM_TRAIN = 5  # images per class


@pytest.fixture
def imagenet(tmp_path):
    root = tmp_path / 'imagenet'
    make_tiny_imagenet(str(root), num_train=NUM_TRAIN, num_val=1)
    return root


def _run(*args):
    return subprocess.run([sys.executable, TOOL, *map(str, args)],
                          capture_output=True,
                          text=True,
                          timeout=120)


def _dataset(fraction, data_root, ann_file):
    """The training set of the config, on ``data_root``."""
    cfg = Config.fromfile(CONFIG.format(fraction))
    init_default_scope('mmpretrain')
    dataset_cfg = cfg.train_dataloader.dataset
    assert dataset_cfg.ann_file == f'meta/train_{fraction}.txt'
    dataset_cfg.update(data_root=str(data_root),
                       ann_file=str(ann_file),
                       pipeline=[])
    return DATASETS.build(dataset_cfg)


@pytest.mark.parametrize('fraction', ['1pct', '10pct'])
def test_listed_images_load_with_their_labels(imagenet, tmp_path, fraction):
    # SimCLR's format: file names only, classes in any order
    listed = [('n01484850', 3), ('n01440764', 2), ('n01443537', 5),
              ('n01440764', 4)]
    image_list = tmp_path / 'list.txt'
    image_list.write_text(''.join(f'{w}_{i}.JPEG\n' for w, i in listed))
    out = imagenet / 'meta' / f'train_{fraction}.txt'
    # labels from meta/train.txt, then from the sorted class folders
    results = []
    for remove_meta in (False, True):
        if remove_meta:
            os.remove(imagenet / 'meta' / 'train.txt')
        proc = _run(imagenet, out, '--image-list', image_list)
        assert proc.returncode == 0, proc.stderr
        assert 'wrote' in proc.stdout and '4 images of 3 of 4' in proc.stdout
        results.append(out.read_text())
    assert results[0] == results[1]

    dataset = _dataset(fraction, imagenet, out)
    loaded = sorted(
        (osp.relpath(dataset.get_data_info(i)['img_path'], imagenet),
         dataset.get_data_info(i)['gt_label']) for i in range(len(dataset)))
    expected = sorted(
        (f'train/{w}/{w}_{i}.JPEG', WNIDS.index(w)) for w, i in listed)
    assert loaded == expected
    # the ImageNet class order: n01440764 is class 0 ("tench")
    assert dataset.CLASSES[0] == 'tench, Tinca tinca'


def test_configs_report_top1_and_top5_in_the_msf_protocol():
    for fraction in ('1pct', '10pct'):
        cfg = Config.fromfile(CONFIG.format(fraction))
        assert cfg.model.neck.type == 'L2NormStandardizeNeck'
        assert 'FeatureStatisticsHook' in str(cfg.custom_hooks)
        assert cfg.optim_wrapper.optimizer.lr == 0.01
        assert cfg.train_cfg.max_epochs == 40
        assert cfg.param_scheduler[0].milestones == [15, 30]
        assert tuple(cfg.val_evaluator.topk) == (1, 5)
        # validation on the full val set
        assert 'ann_file' not in cfg.val_dataloader.dataset


def test_balanced_fallback_is_deterministic_and_balanced(imagenet, tmp_path):
    outs = [tmp_path / f'{name}.txt' for name in ('a', 'b', 'seed1')]
    for out, seed in zip(outs, (0, 0, 1)):
        proc = _run(imagenet, out, '--percent', 40, '--seed', seed)
        assert proc.returncode == 0, proc.stderr
        assert 'NOT the standard SimCLR split' in proc.stderr
    first = outs[0].read_text()
    assert first == outs[1].read_text()
    assert first != outs[2].read_text()  # (40% of 5 per class: 10 ways)
    lines = [line.split() for line in first.splitlines()]
    # 40% of 20 images over 4 classes: 2 of each
    labels = [int(label) for _, label in lines]
    assert labels == [0, 0, 1, 1, 2, 2, 3, 3]
    for path, label in lines:
        wnid = path.split('/')[0]
        assert WNIDS.index(wnid) == int(label)
        assert (imagenet / 'train' / path).is_file()
    assert len({path for path, _ in lines}) == 8
    # loads through the config's dataset like a standard list
    assert len(_dataset('1pct', imagenet, outs[0])) == 8


def test_bad_list_gives_one_error_naming_each_problem(imagenet, tmp_path):
    image_list = tmp_path / 'list.txt'
    image_list.write_text('n01440764_1.JPEG\n'
                          'n01440764_99.JPEG\n'  # no such image
                          'n09999999_1.JPEG\n'  # no such class
                          'n01443537_2.JPEG\n'
                          'n01443537_2.JPEG\n')  # twice
    out = tmp_path / 'out.txt'
    proc = _run(imagenet, out, '--image-list', image_list)
    assert proc.returncode == 2
    error = proc.stderr.strip().splitlines()[-1]
    assert error.startswith('make_semi_supervised_ann.py: error: ')
    for expected in ('1 missing under train/<wnid>/: n01440764_99.JPEG',
                     '1 unknown wnid: n09999999_1.JPEG',
                     '1 listed twice: n01443537_2.JPEG',
                     'Nothing was written'):
        assert expected in error, error
    assert not out.exists()
