# Copyright (c) mmmsf contributors. All rights reserved.
import importlib.util
import json
import os.path as osp

import numpy as np
import pytest
import torch
from conftest import REPO_ROOT
from lma_helpers import write_digits

TOOL = osp.join(REPO_ROOT, 'tools', 'lma', 'invariance.py')
CONFIG = osp.join(REPO_ROOT, 'configs', 'msf',
                  'msf_resnet18-w16_1xb128-coslr-30e_digits.py')


@pytest.fixture(scope='module')
def tool():
    spec = importlib.util.spec_from_file_location('lma_invariance', TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def digits(tmp_path):
    """12 held-out 8x8x3 digits as the config's k-NN query set."""
    path = str(tmp_path / 'digits.npy')
    write_digits(path + '.test.npy', num=12)
    return path


def _run(tool, digits, checkpoint, *extra):
    out = osp.join(osp.dirname(digits), f'inv_{len(extra)}.json')
    result = tool.main([
        CONFIG, checkpoint, '--out', out, '--cfg-options',
        'knn_query_dataloader.dataset.type=LMATestNpyImages',
        f'knn_query_dataloader.dataset.path={digits}', *extra
    ])
    assert json.loads(open(out).read()) == result
    return result


def test_invariance_is_in_range_deterministic_and_one_for_identity(
        tool, digits, tmp_path):
    result = _run(tool, digits, 'random', '--deformations', 'identity',
                  'slant', 'thicken', 'elastic')
    assert result['random_init'] and result['num_images'] == 12
    assert -1 <= result['similarity_others'] < 1
    rows = result['deformations']
    assert rows['identity']['invariance'] == pytest.approx(1, abs=1e-5)
    assert rows['identity']['similarity_self'] == pytest.approx(1, abs=1e-5)
    for name in ('slant', 'thicken', 'elastic'):
        assert -1 <= rows[name]['similarity_self'] <= 1 + 1e-6
        assert rows[name]['invariance'] <= 1 + 1e-6
        assert rows[name]['invariance'] < rows['identity']['invariance']
    assert _run(tool, digits, 'random', '--deformations', 'identity', 'slant',
                'thicken', 'elastic') == result
    # the backbone of a checkpoint is loaded strictly: the random one saved
    # as a checkpoint gives the same numbers
    args = tool.parse_args([CONFIG, 'random'])
    model = tool.build_model(tool.load_config(args), args)
    ckpt = str(tmp_path / 'random.pth')
    torch.save(
        dict(state_dict={
            'backbone.' + k: v
            for k, v in model.backbone.state_dict().items()
        }), ckpt)
    loaded = _run(tool, digits, ckpt, '--deformations', 'identity', 'slant',
                  'thicken', 'elastic')
    assert loaded['deformations'] == rows and not loaded['random_init']
    torch.save(dict(state_dict={'backbone.conv1.weight': torch.zeros(1)}),
               ckpt)
    with pytest.raises(RuntimeError):
        _run(tool, digits, ckpt)


def test_deformations_are_seeded_and_change_the_image(tool):
    args = tool.parse_args([CONFIG, 'random'])
    img = np.zeros((28, 28, 3), np.uint8)
    img[6:22, 12:16] = 255  # a vertical bar
    for name in ('slant', 'thicken', 'elastic'):
        out = tool.deform(img, name, 3, args)
        assert out.shape == img.shape and out.dtype == np.uint8
        assert not np.array_equal(out, img), name
        assert np.array_equal(out, tool.deform(img, name, 3, args)), name
    assert (tool.thicken(img, 3) > 0).sum() > (img > 0).sum()
    slanted = tool.slant(img, 0.3, np.random.default_rng(0))
    top, bottom = (np.flatnonzero(slanted[r, :, 0]).mean() for r in (7, 20))
    assert abs(top - bottom) > 2  # the bar leans
    assert tool.deform(img, 'identity', 0, args) is img
    feats = torch.nn.functional.normalize(torch.randn(5, 4), dim=1)
    scores = tool.invariance_scores(feats, feats)
    assert torch.allclose(scores['invariance'], torch.ones(5))
