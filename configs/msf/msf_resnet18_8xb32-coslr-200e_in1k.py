# ResNet-18 for smaller GPUs, with the MLP widths of the official code
# (github.com/UMBCvision/MSF, train_msf.py: hidden = 2 x feature width,
# output = feature width / 4): projector 512->1024->128, predictor
# 128->1024->128, so official ResNet-18 checkpoints import strictly
# (tools/model_converters/official_msf_to_mmmsf.py). k = 10 and a 128k
# bank, as the official README's training command.
_base_ = './msf_resnet50_8xb32-coslr-200e_in1k.py'

model = dict(backbone=dict(depth=18),
             neck=dict(in_channels=512, hid_channels=1024, out_channels=128),
             head=dict(topk=10,
                       predictor=dict(in_channels=128,
                                      hid_channels=1024,
                                      out_channels=128)),
             memory=dict(size=128000, dim=128))
