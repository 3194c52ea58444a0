# Copyright (c) mmmsf contributors. All rights reserved.
"""Every config under configs/ loads, and its model and pipeline build."""
import glob
import os.path as osp
import sys

import pytest
from mmengine.config import Config
from mmengine.dataset import Compose
from mmengine.registry import init_default_scope
from mmpretrain.registry import MODELS

sys.path.insert(0, osp.dirname(__file__))
from conftest import REPO_ROOT  # noqa: E402

CONFIGS = sorted(
    f for f in glob.glob(osp.join(REPO_ROOT, 'configs', '**', '*.py'),
                         recursive=True)
    # mmdet configs need the detection environment: see
    # tests/test_detection_transfer.py; configs/results/ holds table specs
    # of tools/analysis_tools/results_table.py, not training configs
    if '_base_' not in f and 'mmdetection' not in f
    and osp.join('configs', 'results') not in f)
# training sets that apply no pipeline (the LMA generator's real pairs)
PIPELINE_FREE = ('InstanceNeighbourhoodDataset', )
# pipelines that load a trained LMA generator (or, for the control, the
# digits' neighbourhoods): tests/test_lma_ssl_configs.py builds them with
# tiny ones
NEEDS_GENERATOR = 'LocalManifoldAugment'


def _name(path):
    return osp.relpath(path, osp.join(REPO_ROOT, 'configs'))


def test_paper_recipe_is_where_users_type_it():
    cfg = Config.fromfile(
        osp.join(REPO_ROOT, 'configs', 'msf_r50_8xb32_200e_in1k.py'))
    model = cfg.model
    assert model.type == 'MSF' and model.momentum == 0.01
    assert model.backbone.depth == 50
    assert (model.neck.in_channels, model.neck.hid_channels,
            model.neck.out_channels) == (2048, 4096, 512)
    predictor = model.head.predictor
    assert (predictor.in_channels, predictor.hid_channels,
            predictor.out_channels) == (512, 4096, 512)
    assert model.memory.size == 1024000 and model.head.topk == 5
    optim = cfg.optim_wrapper.optimizer
    assert (optim.type, optim.lr, optim.momentum,
            optim.weight_decay) == ('SGD', 0.05, 0.9, 1e-4)
    assert cfg.auto_scale_lr.base_batch_size == 256
    assert cfg.train_dataloader.batch_size == 32
    assert cfg.train_cfg.max_epochs == 200
    assert cfg.param_scheduler[0].type == 'CosineAnnealingLR'
    views = cfg.train_dataloader.dataset.pipeline[1]
    assert views.type == 'MeanShiftViews' and views.view_mode == 'w/s'
    assert cfg.custom_imports.imports == ['mmmsf']


@pytest.mark.parametrize('path', CONFIGS, ids=_name)
def test_config_loads_and_builds(path):
    cfg = Config.fromfile(path)
    init_default_scope(cfg.get('default_scope', 'mmpretrain'))
    loaders = [k for k in cfg if k.endswith('dataloader') and cfg[k]]
    if 'model' in cfg:
        model_cfg = cfg.model
        if 'memory' in model_cfg:
            # tiny override: a 1M-entry bank is 2 GB
            model_cfg.memory.size = min(model_cfg.memory.size, 4096)
        model = MODELS.build(model_cfg)
        assert sum(p.numel() for p in model.parameters()) > 0
    else:  # data-only configs (e.g. the k-NN sets) must define data
        assert loaders, f'{path} has neither a model nor a dataloader'
    for key in loaders:
        dataset = cfg[key].dataset
        if 'pipeline' not in dataset and 'dataset' in dataset:
            dataset = dataset.dataset  # a wrapper (PerSampleSeededDataset)
        if dataset.type in PIPELINE_FREE or NEEDS_GENERATOR in str(
                dataset.get('pipeline')):
            continue
        pipeline = Compose(cfg[key].dataset.pipeline)
        assert len(pipeline.transforms) >= 1, key


@pytest.mark.parametrize('mode', ['w/s', 's/s', 'w/w', 's/w'])
def test_view_mode_variants(mode):
    suffix = '' if mode == 'w/s' else '-' + mode.replace('/', '')
    path = osp.join(REPO_ROOT, 'configs', 'msf',
                    f'msf{suffix}_resnet50_8xb32-coslr-200e_in1k.py')
    views = Config.fromfile(path).train_dataloader.dataset.pipeline[1]
    assert views.view_mode == mode


def test_co2_recipe_is_mocov2_plus_consistency():
    root = osp.join(REPO_ROOT, 'configs', 'co2')
    cfg = Config.fromfile(
        osp.join(root, 'co2_resnet50_8xb32-coslr-200e_in1k.py'))
    model = cfg.model
    assert model.type == 'CO2' and model.momentum == 0.001  # m = 0.999
    assert (model.memory.size, model.memory.dim) == (65536, 128)
    assert (model.neck.type, model.neck.in_channels, model.neck.hid_channels,
            model.neck.out_channels) == ('MoCoV2Neck', 2048, 2048, 128)
    assert model.head.temperature == 0.2 and model.head.alpha > 0
    optim = cfg.optim_wrapper.optimizer
    assert (optim.type, optim.lr, optim.momentum,
            optim.weight_decay) == ('SGD', 0.03, 0.9, 1e-4)
    assert cfg.auto_scale_lr.base_batch_size == 256
    assert cfg.train_dataloader.batch_size == 32
    assert cfg.train_cfg.max_epochs == 200
    views = cfg.train_dataloader.dataset.pipeline[1]
    assert views.type == 'MultiView' and views.num_views == 2
    # MoCo v2 baselines: the same configs with the consistency term off
    for name in ('mocov2_resnet50_8xb32-coslr-200e_in1k.py',
                 'mocov2_resnet18-w16_1xb128-coslr-30e_digits.py'):
        moco = Config.fromfile(osp.join(root, name))
        twin = Config.fromfile(osp.join(root, name.replace('mocov2', 'co2')))
        assert moco.model.head.alpha == 0.0
        moco.model.head.alpha = twin.model.head.alpha
        assert moco.model == twin.model
        assert moco.train_dataloader == twin.train_dataloader


def test_mmpretrain_mocov2_digits_baseline_matches_the_co2_twin():
    """mmpretrain's MoCo on the digits differs from our alpha = 0 CO2 config
    only in the implementation (its queue buffer), not in the recipe."""
    root = osp.join(REPO_ROOT, 'configs')
    name = 'mocov2_resnet18-w16_1xb128-coslr-30e_digits.py'
    moco = Config.fromfile(osp.join(root, 'mocov2', name))
    twin = Config.fromfile(osp.join(root, 'co2', name))
    assert moco.model.type == 'MoCo' and twin.model.head.alpha == 0.0
    assert (moco.model.queue_len,
            moco.model.feat_dim) == (twin.model.memory.size,
                                     twin.model.memory.dim)
    assert moco.model.momentum == twin.model.momentum
    assert moco.model.head.temperature == twin.model.head.temperature
    for key in ('backbone', 'neck', 'data_preprocessor'):
        assert moco.model[key] == twin.model[key], key
    for key in ('train_dataloader', 'optim_wrapper', 'param_scheduler',
                'randomness'):
        assert moco[key] == twin[key], key
    assert moco.train_cfg.max_epochs == twin.train_cfg.max_epochs
    hooks = [h['type'] for h in moco.custom_hooks]
    assert 'MemoryBankHook' not in hooks and 'KNNMonitorHook' in hooks
    init_default_scope('mmpretrain')
    import mmmsf  # noqa: F401  (registers the hooks' and loop's modules)
    model = MODELS.build(moco.model)
    assert tuple(model.queue.shape) == (64, 4096)
