# The Fashion-MNIST results table (docs/evaluation.md), run by
#   python tools/analysis_tools/results_table.py \
#       configs/results/fashion_mnist.py
# Every method gets the same tuning budget: a grid of at most 3 points,
# trained with the first seed and scored by the online weighted 20-NN on the
# validation split (5,000 images carved from the official training set);
# the chosen point is then trained with every seed and scored once on the
# official test split (both linear protocols, 1-NN, 20-NN, k-means NMI).
title = 'Fashion-MNIST'
seeds = [0, 1, 2]
select = 'knn/knn_top1'
linear_configs = dict(
    linear_msf='configs/benchmarks/classification/'
    'resnet18-w16_msf-linear-1xb128-steplr-10e_fashion-mnist.py',
    linear_std='configs/benchmarks/classification/'
    'resnet18-w16_linear-1xb128-steplr-10e_fashion-mnist.py')
# the k-NN and k-means scores of the final rows query the test split
eval_options = ['knn_query_dataloader.dataset.split=test']

MSF = 'configs/msf/msf_resnet18-w16_1xb128-coslr-10e_fashion-mnist.py'
# the EMA weight of the online model (1 - m): the knob of every EMA method
ema_grid = [0.01, 0.04, 0.1]
rows = [
    dict(key='random', name='random init', config=MSF, random=True),
    dict(key='msf_k5',
         name='MSF, k = 5 (w/s)',
         config=MSF,
         grid=[[f'model.momentum={m}'] for m in ema_grid]),
    # an ablation of MSF: its chosen setting with k = 1 and nothing else
    dict(key='msf_k1',
         name='MSF, k = 1 (BYOL-asym)',
         config='configs/msf/'
         'msf_resnet18-w16-k1_1xb128-coslr-10e_fashion-mnist.py',
         settings_from='msf_k5'),
    dict(key='byol',
         name='mmpretrain BYOL',
         config='configs/byol/'
         'byol_resnet18-w16_1xb128-coslr-10e_fashion-mnist.py',
         grid=[[f'model.base_momentum={m}'] for m in ema_grid]),
    dict(key='mocov2',
         name='MoCo v2 on mmmsf\'s bank (CO2, α = 0)',
         config='configs/co2/'
         'mocov2_resnet18-w16_1xb128-coslr-10e_fashion-mnist.py',
         grid=[[f'model.momentum={m}'] for m in ema_grid]),
    # CO2 is MoCo v2 plus its consistency term: MoCo's chosen momentum, and
    # its own grid over the term's weight (tau_con 0.04 as in the paper)
    dict(key='co2',
         name='MoCo v2 + CO2',
         config='configs/co2/'
         'co2_resnet18-w16_1xb128-coslr-10e_fashion-mnist.py',
         settings_from='mocov2',
         grid=[[f'model.head.alpha={a}'] for a in (0.1, 1.0, 10.0)]),
]
