# Copyright (c) mmmsf contributors. All rights reserved.
"""``load_generator``: the EMA generator of an ICGAN checkpoint, loaded
weights-only from the config the Runner stores in ``meta.cfg``."""
import pytest
import torch
from mmengine.config import Config
from mmpretrain.registry import MODELS

from mmmsf.checkpoint import (GeneratorCheckpointError, UnsafeCheckpointError,
                              load_generator)
from mmmsf.checkpoint.generator import model_config_from_text

MODEL = dict(type='ICGAN',
             generator=dict(type='ICGANGenerator',
                            feature_dim=8,
                            z_dim=4,
                            img_size=8,
                            base_channels=4,
                            embed_dim=4),
             discriminator=dict(type='ProjectionDiscriminator',
                                base_channels=4),
             ema_momentum=0.5)


def _save(path, model=None, cfg_text=None, drop_prefix=None):
    """A checkpoint as mmengine's Runner writes it (meta.cfg is the config
    text, state_dict the model's)."""
    model = model or MODELS.build(MODEL)
    state_dict = {
        k: v
        for k, v in model.state_dict().items()
        if drop_prefix is None or not k.startswith(drop_prefix)
    }
    if cfg_text is None:
        cfg_text = Config(dict(model=MODEL, work_dir='x')).pretty_text
    torch.save(dict(meta=dict(cfg=cfg_text), state_dict=state_dict), path)
    return model


def test_round_trip_returns_the_ema_generator_in_eval_mode(tmp_path):
    model = MODELS.build(MODEL)
    with torch.no_grad():  # make the EMA differ from the generator
        for p in model.generator_ema.module.parameters():
            p.add_(1.)
    _save(tmp_path / 'g.pth', model)
    generator = load_generator(str(tmp_path / 'g.pth'))
    assert not generator.training
    assert not any(p.requires_grad for p in generator.parameters())
    assert (generator.feature_dim, generator.z_dim, generator.img_size,
            generator.out_channels) == (8, 4, 8, 3)
    expected = model.generator_ema.module.state_dict()
    for key, value in generator.state_dict().items():
        assert torch.equal(value, expected[key]), key
    z, h = torch.randn(2, 4), torch.nn.functional.normalize(torch.randn(2, 8))
    assert torch.equal(generator(z, h), model.generate(h, z))


def test_missing_file_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match='nothing.pth'):
        load_generator(str(tmp_path / 'nothing.pth'))


def test_corrupt_file_is_refused(tmp_path):
    _save(tmp_path / 'g.pth')
    data = (tmp_path / 'g.pth').read_bytes()
    (tmp_path / 'cut.pth').write_bytes(data[:len(data) // 2])
    with pytest.raises(GeneratorCheckpointError, match='cannot be read'):
        load_generator(str(tmp_path / 'cut.pth'))


def test_checkpoint_without_generator_is_refused(tmp_path):
    _save(tmp_path / 'no_ema.pth', drop_prefix='generator_ema.')
    with pytest.raises(GeneratorCheckpointError, match='no LMA generator'):
        load_generator(str(tmp_path / 'no_ema.pth'))
    msf_cfg = Config(dict(model=dict(type='MSF'))).pretty_text
    _save(tmp_path / 'no_cfg.pth', cfg_text=msf_cfg)
    with pytest.raises(GeneratorCheckpointError, match='no LMA generator'):
        load_generator(str(tmp_path / 'no_cfg.pth'))


def test_weights_that_do_not_fit_the_stored_config_are_named(tmp_path):
    wider = Config(
        dict(model=dict(MODEL,
                        generator=dict(MODEL['generator'],
                                       base_channels=8)))).pretty_text
    _save(tmp_path / 'g.pth', cfg_text=wider)
    with pytest.raises(GeneratorCheckpointError, match='shape mismatches'):
        load_generator(str(tmp_path / 'g.pth'))


def test_unsafe_pickle_is_refused_before_it_runs(tmp_path):

    class Boom:

        def __reduce__(self):
            return (print, ('ran', ))

    path = tmp_path / 'evil.pth'
    torch.save(dict(meta=dict(cfg=''), state_dict={}, x=Boom()), path)
    with pytest.raises(UnsafeCheckpointError):
        load_generator(str(path))


def test_config_text_is_read_without_running_it():
    cfg = model_config_from_text(
        "model = dict(type='ICGAN', g=dict(a=-1, b=(1, 2.5), c=[None]))")
    assert cfg == dict(type='ICGAN', g=dict(a=-1, b=(1, 2.5), c=[None]))
    with pytest.raises(ValueError):
        model_config_from_text("model = __import__('os').system('true')")
