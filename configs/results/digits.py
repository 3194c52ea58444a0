# The embedded-digits results table (docs/evaluation.md): the rows of
# ./fashion_mnist.py on the digits recipes (30 epochs of 4,000 digits),
# each with the settings chosen on Fashion-MNIST's validation split (the
# digits have no validation split, and their recipe was tuned for MSF), 3
# seeds, scored on the 1,000 held-out digits.
#   python tools/analysis_tools/results_table.py configs/results/digits.py
title = 'Embedded digits'
seeds = [0, 1, 2]
select = 'knn/knn_top1'
settings_spec = 'configs/results/fashion_mnist.py'
linear_configs = dict(linear_msf='configs/benchmarks/classification/'
                      'resnet18-w16_msf-linear-1xb128-steplr-10e_digits.py',
                      linear_std='configs/benchmarks/classification/'
                      'resnet18-w16_linear-1xb128-steplr-10e_digits.py')
eval_options = []

MSF = 'configs/msf/msf_resnet18-w16_1xb128-coslr-30e_digits.py'
# MoCo's queue well below the 3,968 samples of an epoch (the configs' 4,096
# would hold each query's own key of the previous epoch among its
# negatives), as on Fashion-MNIST
short_queue = ['model.memory.size=1024']
rows = [
    dict(key='random', name='random init', config=MSF, random=True),
    dict(key='msf_k5',
         name='MSF, k = 5 (w/s)',
         config=MSF,
         settings_from='msf_k5'),
    dict(key='msf_k1',
         name='MSF, k = 1 (BYOL-asym)',
         config='configs/msf/msf_resnet18-w16-k1_1xb128-coslr-30e_digits.py',
         settings_from='msf_k1'),
    dict(key='byol',
         name='mmpretrain BYOL',
         config='configs/byol/byol_resnet18-w16_1xb128-coslr-30e_digits.py',
         settings_from='byol'),
    dict(key='mocov2',
         name='MoCo v2 on mmmsf\'s bank (CO2, α = 0)',
         config='configs/co2/mocov2_resnet18-w16_1xb128-coslr-30e_digits.py',
         options=short_queue,
         settings_from='mocov2'),
    dict(key='co2',
         name='MoCo v2 + CO2',
         config='configs/co2/co2_resnet18-w16_1xb128-coslr-30e_digits.py',
         options=short_queue,
         settings_from='co2'),
    # an ablation of the queue: MoCo v2 with the configs' 4,096 keys
    dict(key='mocov2_q4096',
         name='MoCo v2 on mmmsf\'s bank, queue 4,096',
         config='configs/co2/mocov2_resnet18-w16_1xb128-coslr-30e_digits.py',
         settings_from='mocov2'),
]
