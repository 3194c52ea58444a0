# Copyright (c) mmmsf contributors. All rights reserved.
"""tools/lma/train_generator.py through the real Runner on a tiny digits
config: a run resumed after half its epochs ends with the weights,
optimizer states and EMA of the uninterrupted run; the sample grid is
written; load_generator reads the EMA generator back."""
import os.path as osp
import runpy

import pytest
import torch
from conftest import REPO_ROOT
from mmengine.config import Config

from mmmsf.checkpoint import load_checkpoint_safely, load_generator

TOOL = osp.join(REPO_ROOT, 'tools', 'lma', 'train_generator.py')
DIGITS_CONFIG = osp.join(REPO_ROOT, 'configs', 'lma', 'icgan_digits_cpu.py')

TINY = """
_base_ = {base!r}
cache = {cache!r}
train_images = dict(type='EmbeddedDigits', source='sklearn', split='train',
                    indices=32, serialize_data=False)
extractor = dict(type='PCAFeatureExtractor', dataset=train_images,
                 num_components=8, cache_dir=cache)
model = dict(generator=dict(feature_dim=8, z_dim=4, img_size=8,
                            base_channels=4, embed_dim=4),
             discriminator=dict(base_channels=4))
train_dataloader = dict(batch_size=8, dataset=dict(dataset=dict(
    dataset=train_images, extractor=extractor, k=3, cache_dir=cache)))
train_cfg = dict(max_epochs=2)  # 4 iterations per epoch
default_hooks = dict(logger=dict(interval=1), checkpoint=dict(interval=1))
custom_hooks = [dict(type='GeneratorSampleGridHook', interval=3, num_rows=2,
                     num_samples=3)]
visualizer = dict(vis_backends=[dict(type='LocalVisBackend')])
log_processor = dict(window_size=1)
"""


@pytest.fixture(autouse=True)
def _one_thread():
    """Tiny convolutions run faster on one thread."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope='module')
def tiny_config(tmp_path_factory):
    """The tiny config, flattened once (resolving the ``mmpretrain::``
    bases costs seconds per read)."""
    root = tmp_path_factory.mktemp('lma_tool')
    path = root / 'icgan_tiny.py'
    path.write_text(TINY.format(base=DIGITS_CONFIG, cache=str(root / 'cache')))
    Config.fromfile(str(path)).dump(str(root / 'icgan_tiny_flat.py'))
    return str(root / 'icgan_tiny_flat.py')


def _train(config, work_dir, name, *args):
    main = runpy.run_path(TOOL, run_name='lma_train_generator')['main']
    main([
        config, '--work-dir',
        str(work_dir), *args, '--cfg-options', f'experiment_name={name}'
    ])


def test_resumed_run_continues_exactly(tiny_config, tmp_path):
    _train(tiny_config, tmp_path / 'full', 'full')
    half = tmp_path / 'half'
    _train(tiny_config, half, 'half', '--cfg-options',
           'train_cfg.max_epochs=1')
    assert not osp.exists(half / 'epoch_2.pth')
    _train(tiny_config, half, 'resumed', '--resume')

    full = load_checkpoint_safely(str(tmp_path / 'full' / 'epoch_2.pth'))
    resumed = load_checkpoint_safely(str(half / 'epoch_2.pth'))
    assert full['meta']['iter'] == resumed['meta']['iter'] == 8
    assert full['state_dict'].keys() == resumed['state_dict'].keys()
    assert int(full['state_dict']['generator_ema.steps']) == 8
    for key, value in full['state_dict'].items():
        assert torch.equal(value, resumed['state_dict'][key]), key
    for name in ('generator', 'discriminator'):
        states = [c['optimizer'][name]['state'] for c in (full, resumed)]
        assert states[0].keys() == states[1].keys() and states[0]
        for index, state in states[0].items():
            for key, value in state.items():
                assert torch.equal(value, states[1][index][key])

    # grids every 3 iterations and at the end, also after the resume
    samples = sorted(p.name for p in (half / 'samples').iterdir())
    assert samples == ['iter_3.png', 'iter_4.png', 'iter_6.png', 'iter_8.png']

    generator = load_generator(str(tmp_path / 'full' / 'epoch_2.pth'))
    ema = {
        k[len('generator_ema.module.'):]: v
        for k, v in full['state_dict'].items()
        if k.startswith('generator_ema.module.')
    }
    for key, value in generator.state_dict().items():
        assert torch.equal(value, ema[key]), key
    assert (generator.img_size, generator.feature_dim) == (8, 8)
