# Where do MSF's k > 1 neighbours help? MSF on Fashion-MNIST with k = 1, 5
# and 10 and, for k = 5, a bank of 1,024 instead of 4,096 (0.128 and 0.512
# of the 8,000 training images), each with the momentum chosen for MSF in
# ./fashion_mnist.py and 3 seeds, plus the neighbour purity of the last
# training epoch. Cells shared with ./fashion_mnist.py are reused.
#   python tools/analysis_tools/results_table.py \
#       configs/results/fashion_mnist_k_bank.py
_base_ = './fashion_mnist.py'

title = 'MSF on Fashion-MNIST: k and bank size'
settings_spec = 'configs/results/fashion_mnist.py'
extra_columns = ['purity']
rows = [
    dict(key='k1',
         name='k = 1, bank 4,096',
         config=_base_.rows[2].config,
         settings_from='msf_k5'),
    dict(key='k5',
         name='k = 5, bank 4,096',
         config=_base_.MSF,
         settings_from='msf_k5'),
    dict(key='k10',
         name='k = 10, bank 4,096',
         config=_base_.MSF,
         options=['model.head.topk=10'],
         settings_from='msf_k5'),
    dict(key='k5_bank1024',
         name='k = 5, bank 1,024',
         config=_base_.MSF,
         options=['model.memory.size=1024'],
         settings_from='msf_k5'),
]
