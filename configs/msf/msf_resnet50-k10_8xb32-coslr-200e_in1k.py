# The released official model (github.com/UMBCvision/MSF README,
# "MSF(Resnet50)": linear 72.4, NN 62.5, k-NN 65.7): MSF w/s (the official
# default augmentation 'weak/strong'), ResNet-50 with projector
# 2048->4096->512 and predictor 512->4096->512, k = 10, bank 1,024,000.
# Import its checkpoint with tools/model_converters/official_msf_to_mmmsf.py
# and this config (docs/reproduce.md).
_base_ = './msf_resnet50_8xb32-coslr-200e_in1k.py'

model = dict(head=dict(topk=10))
