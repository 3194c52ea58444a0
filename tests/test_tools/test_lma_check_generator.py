# Copyright (c) mmmsf contributors. All rights reserved.
import importlib.util
import json
import os.path as osp

import numpy as np
import pytest
from conftest import REPO_ROOT
from lma_helpers import neighbourhood_cfg, save_generator, write_digits

TOOL = osp.join(REPO_ROOT, 'tools', 'lma', 'check_generator.py')


def _tool():
    spec = importlib.util.spec_from_file_location('check_generator', TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def setup(tmp_path):
    digits = write_digits(str(tmp_path / 'digits.npy'))
    write_digits(digits + '.test.npy', start=1000, num=60)
    nb = neighbourhood_cfg(digits, tmp_path / 'cache')
    config = tmp_path / 'icgan_tiny.py'
    config.write_text(
        'train_dataloader = ' +
        repr(dict(dataset=dict(type='PerSampleSeededDataset', dataset=nb))) +
        '\n')
    return dict(config=str(config),
                checkpoint=save_generator(str(tmp_path / 'g.pth')),
                out=str(tmp_path / 'gate.json'))


def _run(setup, *extra):
    return _tool().main([
        setup['config'], setup['checkpoint'], '--out', setup['out'],
        '--num-instances', '20', '--samples', '3', '--pca-components', '8',
        *extra
    ])


def test_check_generator_writes_its_numbers_and_gates(setup, capsys):
    # an untrained generator fails any demanding gate, with a message
    assert _run(setup, '--gate', '0.99') == 1
    assert 'GATE FAILED' in capsys.readouterr().err
    result = json.loads(open(setup['out']).read())
    assert result['gate'] == dict(threshold=0.99, passed=False)
    consistency = result['label_consistency']
    # a real neighbour of a training image is that training image: 1-NN
    # gives it its own label, so the control is the neighbourhood purity
    assert 0.5 < consistency['real_neighbour'] <= 1
    assert 0 <= consistency['generated'] <= 1
    assert np.isfinite(consistency['ratio'])
    assert result['diversity']['real_neighbour'] > 0
    assert result['diversity']['generated'] >= 0
    memo = result['memorisation']
    assert memo['test_nearest_train_rms'] > 0
    assert 0 <= memo['near_copy_rate'] <= 1
    frechet = result['frechet']
    assert frechet['num_samples'] == 60
    # an untrained generator is far from the data; real test images are not
    assert frechet['generated_vs_train'] > frechet['test_vs_train'] > 0

    assert _run(setup) == 0  # no gate: numbers only
    assert json.loads(open(setup['out']).read())['gate'] == dict(
        threshold=None, passed=None)
