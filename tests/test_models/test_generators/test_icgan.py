# Copyright (c) mmmsf contributors. All rights reserved.
"""ICGAN: one train_step moves the generator, the discriminator and the
EMA; the discriminator gets no gradient from the generator's step; the
optim-wrapper constructor; settings checked when built."""
import copy

import pytest
import torch
import torch.nn.functional as F
from mmengine.optim import build_optim_wrapper
from mmengine.registry import init_default_scope
from mmpretrain.registry import MODELS

from mmmsf.models.algorithms.icgan import random_translation

MODEL = dict(type='ICGAN',
             generator=dict(type='ICGANGenerator',
                            feature_dim=6,
                            z_dim=4,
                            img_size=8,
                            base_channels=4,
                            embed_dim=4),
             discriminator=dict(type='ProjectionDiscriminator',
                                base_channels=4),
             ema_momentum=0.5,
             translation_ratio=0.25)
ADAM = dict(type='Adam', betas=(0.0, 0.999))
OPTIM = dict(constructor='MultiOptimWrapperConstructor',
             generator=dict(optimizer=dict(ADAM, lr=1e-3)),
             discriminator=dict(optimizer=dict(ADAM, lr=4e-3)))


def _model(**changes):
    init_default_scope('mmpretrain')
    model = MODELS.build(dict(MODEL, **changes))
    return model, build_optim_wrapper(model, copy.deepcopy(OPTIM))


def _batch(n=4):
    return dict(inputs=torch.randint(0, 256, (n, 3, 8, 8), dtype=torch.uint8),
                feature=F.normalize(torch.randn(n, 6), dim=1),
                index=torch.arange(n))


def _params(module):
    return {k: v.detach().clone() for k, v in module.state_dict().items()}


def _moved(before, module):
    after = module.state_dict()
    return {k for k, v in before.items() if not torch.equal(v, after[k])}


def test_optim_wrapper_dict_has_two_learning_rates():
    model, optim = _model()
    assert optim.get_lr() == {
        'generator.lr': [1e-3],
        'discriminator.lr': [4e-3]
    }
    g_params = set(map(id, model.generator.parameters()))
    assert all(
        id(p) in g_params
        for group in optim['generator'].optimizer.param_groups
        for p in group['params'])


def test_train_step_moves_generator_discriminator_and_ema():
    model, optim = _model()
    model.train()
    model.train_step(_batch(), optim)  # first EMA update copies G
    g, d, ema = (_params(model.generator), _params(model.discriminator),
                 _params(model.generator_ema))
    out = model.train_step(_batch(), optim)
    assert set(out) == {'loss', 'd_loss', 'g_loss', 'd_real', 'd_fake'}
    assert all(torch.isfinite(v) for v in out.values())
    assert torch.allclose(out['loss'], out['d_loss'] + out['g_loss'])
    assert _moved(g, model.generator) and _moved(d, model.discriminator)
    assert 'module.out_conv.parametrizations.weight.original' in _moved(
        ema, model.generator_ema)
    assert int(model.generator_ema.steps) == 2
    # the EMA sits between its old value and the new generator
    key = 'out_conv.parametrizations.weight.original'
    new_g = model.generator.state_dict()[key]
    new_ema = model.generator_ema.module.state_dict()[key]
    assert torch.allclose(new_ema, 0.5 * ema['module.' + key] + 0.5 * new_g)
    # no gradient of the generator's step is left in D for its next step
    assert all(p.grad is None or not p.grad.any()
               for p in model.discriminator.parameters())
    assert all(p.requires_grad for p in model.discriminator.parameters())


def test_same_seed_same_step():
    states = []
    for _ in range(2):
        torch.manual_seed(0)
        model, optim = _model(num_dis_steps=2)
        model.train_step(_batch(), optim)
        states.append(model.state_dict())
    for key, value in states[0].items():
        assert torch.equal(value, states[1][key]), key


def test_ema_start_copies_the_generator():
    model, optim = _model(ema_start=2)
    for _ in range(2):
        model.train_step(_batch(), optim)
        for key, value in model.generator.state_dict().items():
            assert torch.equal(value,
                               model.generator_ema.module.state_dict()[key])
    model.train_step(_batch(), optim)
    key = 'out_conv.parametrizations.weight.original'
    assert not torch.equal(model.generator.state_dict()[key],
                           model.generator_ema.module.state_dict()[key])


def test_generate_uses_the_ema_in_eval_mode():
    model, _ = _model()
    model.train()
    h = _batch()['feature']
    z = torch.randn(4, 4)
    assert torch.equal(model.generate(h, z), model.generate(h, z))
    assert model.generator_ema.module.training  # mode restored
    assert model(feature=h).shape == (4, 3, 8, 8)
    with pytest.raises(ValueError, match='train_step'):
        model(feature=h, mode='loss')


def test_random_translation_shifts_whole_images():
    torch.manual_seed(0)
    x = torch.arange(2 * 16.).view(2, 1, 4, 4)
    assert torch.equal(random_translation(x, 0.), x)
    shifted = random_translation(x, 0.25)  # up to 1 pixel
    assert shifted.shape == x.shape
    for src, out in zip(x, shifted):
        kept = out[out != -1]
        assert set(kept.tolist()) <= set(src.flatten().tolist())
        assert len(kept) >= 9  # at most one row and one column lost
    x.requires_grad_(True)
    random_translation(x, 0.25).sum().backward()
    assert x.grad.max() == 1


def test_settings_checked_when_built():
    with pytest.raises(ValueError, match='model.discriminator.img_size'):
        _model(discriminator=dict(MODEL['discriminator'], img_size=16))
    with pytest.raises(ValueError, match='num_dis_steps'):
        _model(num_dis_steps=0)
    model, optim = _model()
    with pytest.raises(ValueError, match='model.generator.img_size'):
        model.train_step(
            dict(inputs=torch.zeros(2, 3, 16, 16, dtype=torch.uint8),
                 feature=torch.zeros(2, 6)), optim)
    with pytest.raises(ValueError, match='optim_wrapper.critic'):
        build_optim_wrapper(
            model,
            dict(constructor='MultiOptimWrapperConstructor',
                 critic=OPTIM['discriminator']))


def _spread(model, n=8):
    """Mean L1 distance between two samples of the generator per feature."""
    torch.manual_seed(123)
    h = F.normalize(torch.randn(n, 6), dim=1)
    with torch.no_grad():
        model.generator.eval()
        a = model.generator(torch.randn(n, 4), h)
        b = model.generator(torch.randn(n, 4), h)
        model.generator.train()
    return (a - b).abs().mean().item()


def test_mode_seeking_term_is_reported_and_spreads_the_samples():
    model, optim = _model(mode_seeking_weight=1.)
    out = model.train_step(_batch(), optim)
    assert set(out) == {
        'loss', 'd_loss', 'g_loss', 'd_real', 'd_fake', 'ms_loss'
    }
    assert torch.isfinite(out['ms_loss']) and out['ms_loss'] > 0
    assert torch.allclose(out['loss'], out['d_loss'] + out['g_loss'])
    # with D frozen (zero learning rate), 20 steps with the term spread
    # different noises of one instance further than 20 steps without it
    # (a vanishing weight keeps the same draws)
    spreads = []
    for weight in (1e-9, 100.):
        torch.manual_seed(0)
        model, optim = _model(mode_seeking_weight=weight)
        optim['discriminator'].optimizer.param_groups[0]['lr'] = 0.
        for _ in range(20):
            model.train_step(_batch(8), optim)
        spreads.append(_spread(model))
    assert spreads[1] > 1.3 * spreads[0]
    with pytest.raises(ValueError, match='mode_seeking_weight'):
        _model(mode_seeking_weight=-1.)
