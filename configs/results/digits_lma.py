# LMA on the embedded digits (docs/lma.md): MSF (w/s, k = 5) and MoCo v2 on
# mmmsf's bank with LMA views at p = 0.5 and with the real-neighbour control
# at the same p, MSF also at p = 0.25, beside their p = 0 rows of
# ./digits.py: same recipe, tuned settings, seeds and options (the p = 0
# cells are those of ./digits.py, trained once). Train the generator and
# check its gate first (docs/lma.md), then
#   python tools/analysis_tools/results_table.py configs/results/digits_lma.py
_base_ = './digits.py'

title = 'Embedded digits, LMA'
MSF_LMA = 'configs/msf/msf_resnet18-w16-lma-{}_1xb128-coslr-30e_digits.py'
MOCO_LMA = 'configs/co2/mocov2_resnet18-w16-lma-{}_1xb128-coslr-30e_digits.py'
rows = [
    dict(key='msf_k5',
         name='MSF, k = 5 (w/s)',
         config=_base_.MSF,
         settings_from='msf_k5'),
    dict(key='msf_lma_p0.5',
         name='MSF + LMA, p = 0.5',
         config=MSF_LMA.format('p0.5'),
         settings_from='msf_k5'),
    dict(key='msf_real_p0.5',
         name='MSF + real neighbour, p = 0.5',
         config=MSF_LMA.format('real-p0.5'),
         settings_from='msf_k5'),
    dict(key='msf_lma_p0.25',
         name='MSF + LMA, p = 0.25',
         config=MSF_LMA.format('p0.25'),
         settings_from='msf_k5'),
    dict(key='mocov2',
         name='MoCo v2 on mmmsf\'s bank (CO2, α = 0)',
         config='configs/co2/mocov2_resnet18-w16_1xb128-coslr-30e_digits.py',
         options=_base_.short_queue,
         settings_from='mocov2'),
    dict(key='mocov2_lma_p0.5',
         name='MoCo v2 + LMA, p = 0.5',
         config=MOCO_LMA.format('p0.5'),
         options=_base_.short_queue,
         settings_from='mocov2'),
    dict(key='mocov2_real_p0.5',
         name='MoCo v2 + real neighbour, p = 0.5',
         config=MOCO_LMA.format('real-p0.5'),
         options=_base_.short_queue,
         settings_from='mocov2'),
]
