# Labelled sets of tools/benchmarks/knn_eval.py on ImageNet (train split as
# reference, val split as queries; resize 256, center crop 224). Add them
# to an ImageNet pretraining config with `--data-config`.
_base_ = 'mmpretrain::_base_/datasets/imagenet_bs32_pil_resize.py'

knn_reference_dataloader = dict(batch_size=128,
                                num_workers=8,
                                sampler=dict(type='DefaultSampler',
                                             shuffle=False),
                                collate_fn=dict(type='default_collate'),
                                dataset=dict(type=_base_.dataset_type,
                                             data_root='data/imagenet',
                                             split='train',
                                             pipeline=_base_.test_pipeline))
knn_query_dataloader = dict(batch_size=128,
                            num_workers=8,
                            sampler=dict(type='DefaultSampler', shuffle=False),
                            collate_fn=dict(type='default_collate'),
                            dataset=dict(type=_base_.dataset_type,
                                         data_root='data/imagenet',
                                         split='val',
                                         pipeline=_base_.test_pipeline))
