# Copyright (c) mmmsf contributors. All rights reserved.
"""ICGANGenerator and ProjectionDiscriminator: sizes from img_size, output
shapes and range, determinism under a seed, initialisation, bad input."""
import pytest
import torch
import torch.nn.functional as F
from mmpretrain.registry import MODELS

from mmmsf.models.generators.blocks import resolution_plan


def _networks(img_size=8, **generator):
    g = MODELS.build(
        dict(type='ICGANGenerator',
             feature_dim=6,
             z_dim=5,
             img_size=img_size,
             base_channels=4,
             embed_dim=3,
             **generator))
    d = MODELS.build(
        dict(type='ProjectionDiscriminator',
             feature_dim=6,
             img_size=img_size,
             in_channels=g.out_channels,
             base_channels=4))
    return g, d


def _inputs(n=3, seed=1):
    torch.manual_seed(seed)
    return torch.randn(n, 5), F.normalize(torch.randn(n, 6), dim=1)


@pytest.mark.parametrize('size,plan', [(8, (4, 1)), (28, (7, 2)), (32, (4, 3)),
                                       (128, (4, 5))])
def test_resolution_plan(size, plan):
    assert resolution_plan(size) == plan


def test_resolution_plan_refuses_odd_or_tiny_images():
    for size in (7, 6):
        with pytest.raises(ValueError, match='img_size'):
            resolution_plan(size)


@pytest.mark.parametrize('img_size,channels', [(28, 1), (32, 3)])
def test_shapes_and_range(img_size, channels):
    g, d = _networks(img_size, out_channels=channels)
    z, h = _inputs()
    images = g(z, h)
    assert images.shape == (3, channels, img_size, img_size)
    assert images.abs().max() <= 1  # tanh
    assert d(images, h).shape == (3, )
    # the four attributes LMA's transform reads
    assert (g.feature_dim, g.z_dim, g.img_size,
            g.out_channels) == (6, 5, img_size, channels)


def test_same_seed_same_networks_and_outputs():
    outputs = []
    for _ in range(2):
        torch.manual_seed(0)
        g, d = _networks()
        g.init_weights()
        d.init_weights()
        z, h = _inputs()
        fake = g(z, h)
        outputs.append((fake, d(fake, h)))
    assert torch.equal(outputs[0][0], outputs[1][0])
    assert torch.equal(outputs[0][1], outputs[1][1])
    torch.manual_seed(1)
    other, _ = _networks()
    assert not torch.equal(other(*_inputs()), outputs[0][0])


def test_conditioning_changes_the_images():
    g, _ = _networks()
    g.eval()
    z, h = _inputs()
    assert not torch.allclose(g(z, h), g(z, h.flip(0)))


def test_init_weights_is_orthogonal_with_unit_spectral_norm():
    g, d = _networks()
    g.init_weights()
    d.init_weights()
    conv = d.blocks[0].conv2
    weight = conv.parametrizations.weight.original.flatten(1)  # 8 x 72
    assert torch.allclose(weight @ weight.t(), torch.eye(8), atol=1e-5)
    # the power-iteration vectors follow the new weights: sigma is 1
    sigma = torch.linalg.matrix_norm(conv.weight.detach().flatten(1), 2)
    assert float(sigma) == pytest.approx(1, abs=1e-4)
    assert torch.count_nonzero(g.blocks[0].conv1.bias) == 0


def test_bad_input_is_named():
    g, d = _networks()
    z, h = _inputs()
    with pytest.raises(ValueError, match=r'h of shape \(N, 6\)'):
        g(z, h[:, :4])
    with pytest.raises(ValueError, match='x of shape'):
        d(torch.zeros(3, 3, 16, 16), h)
    with pytest.raises(ValueError, match='channel_mults'):
        _networks(channel_mults=[4, 2, 1])


def test_feature_and_noise_enter_at_the_same_scale():
    # a unit-norm h must not be drowned by z (norm ~sqrt(z_dim)) in the
    # condition that the spectrally normalised stem and CBN maps read
    torch.manual_seed(0)
    g = MODELS.build(
        dict(type='ICGANGenerator',
             feature_dim=64,
             z_dim=64,
             img_size=8,
             embed_dim=64,
             base_channels=2))
    g.init_weights()
    seen = []
    g.stem.register_forward_hook(lambda m, args, out: seen.append(args[0]))
    z = torch.randn(16, 64)
    h = F.normalize(torch.randn(16, 64), dim=1)
    g.eval()
    g(z, h)
    cond = seen[0]  # N x (z_dim + embed_dim)
    ratio = cond[:, 64:].norm(dim=1) / cond[:, :64].norm(dim=1)
    assert 0.5 < float(ratio.mean()) < 2
