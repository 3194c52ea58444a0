# Linear transfer on frozen features, the protocol of the MSF paper's table 3
# (BYOL appendix D / SimCLR appendix B.8): raw pooled ResNet-50 features of
# unaugmented images (shorter side to 224 with bicubic resampling, centre
# crop 224, ImageNet normalisation), an l2-regularised multinomial logistic
# regression (scikit-learn, L-BFGS) whose regularisation is chosen among 45
# log-spaced values in [1e-6, 1e5] on a validation split, refitted on
# train + val and scored on test. See docs/transfer.md.
default_scope = 'mmpretrain'
custom_imports = dict(imports=['mmmsf'], allow_failed_imports=False)

model = dict(type='ImageClassifier',
             data_preprocessor=dict(type='ClsDataPreprocessor',
                                    mean=[123.675, 116.28, 103.53],
                                    std=[58.395, 57.12, 57.375],
                                    to_rgb=True),
             backbone=dict(type='ResNet', depth=50, out_indices=(3, )))

# pillow decoding: some SUN397 ".jpg" files are not JPEGs
test_pipeline = [
    dict(type='LoadImageFromFile', imdecode_backend='pillow'),
    dict(type='ResizeEdge',
         scale=224,
         edge='short',
         backend='pillow',
         interpolation='bicubic'),
    dict(type='CenterCrop', crop_size=224),
    dict(type='PackInputs'),
]

feature_loader = dict(batch_size=64,
                      num_workers=4,
                      persistent_workers=False,
                      sampler=dict(type='DefaultSampler', shuffle=False),
                      collate_fn=dict(type='default_collate'))

transfer = dict(
    key=None,  # a key of PAPER_MSF_TRANSFER (tools/benchmarks/transfer_report)
    dataset=dict(type=None, data_root=None, pipeline=test_pipeline),
    train_split='train',
    # official validation split; None holds out val_fraction of train_split
    # (class-stratified, split_seed) to choose the regularisation
    val_split=None,
    val_fraction=0.2,
    split_seed=0,
    test_split='test',
    metric='top1',  # or 'mean_per_class'
)

logistic_regression = dict(
    lambdas=None,  # None: logspace(-6, 5, 45); lambda = 1 / sklearn's C
    standardize=False,  # not in the BYOL / SimCLR protocol
    max_iter=1000,
    tol=1e-4)

randomness = dict(seed=0)
