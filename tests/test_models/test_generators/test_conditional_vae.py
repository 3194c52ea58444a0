# Copyright (c) mmmsf contributors. All rights reserved.
"""ConditionalVAE, the fallback generator: one step moves encoder, decoder
and EMA; load_generator reads its EMA decoder like an IC-GAN's."""
import torch
import torch.nn.functional as F
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper
from mmengine.registry import init_default_scope
from mmpretrain.registry import MODELS

from mmmsf.checkpoint import load_generator

MODEL = dict(type='ConditionalVAE',
             generator=dict(type='ICGANGenerator',
                            feature_dim=6,
                            z_dim=4,
                            img_size=8,
                            base_channels=4,
                            embed_dim=4),
             base_channels=4,
             ema_momentum=0.5)


def test_train_step_and_load_generator(tmp_path):
    init_default_scope('mmpretrain')
    model = MODELS.build(MODEL)
    optim = build_optim_wrapper(
        model, dict(type='OptimWrapper', optimizer=dict(type='Adam', lr=1e-2)))
    batch = dict(inputs=torch.randint(0, 256, (4, 3, 8, 8), dtype=torch.uint8),
                 feature=F.normalize(torch.randn(4, 6), dim=1))
    model.train_step(batch, optim)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    out = model.train_step(batch, optim)
    assert set(out) == {'loss', 'loss_rec', 'loss_kl'}
    assert all(torch.isfinite(v) for v in out.values())
    moved = {
        k
        for k, v in model.state_dict().items()
        if not torch.equal(v, before[k])
    }
    for prefix in ('encoder.', 'posterior.', 'generator.',
                   'generator_ema.module.'):
        assert any(k.startswith(prefix) for k in moved), prefix

    path = tmp_path / 'cvae.pth'
    torch.save(
        dict(meta=dict(cfg=Config(dict(model=MODEL)).pretty_text),
             state_dict=model.state_dict()), path)
    decoder = load_generator(str(path))
    z, h = torch.randn(2, 4), batch['feature'][:2]
    assert torch.equal(decoder(z, h), model.generate(h, z))
