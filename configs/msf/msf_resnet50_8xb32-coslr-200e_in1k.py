# The paper recipe: MSF w/s, ResNet-50, k=5, bank 1,024,000, 200 epochs,
# 8 GPUs x 32 images (total 256), SGD lr 0.05.
_base_ = [
    '../_base_/models/msf_resnet50.py',
    '../_base_/datasets/imagenet_bs32_msf.py',
    '../_base_/schedules/sgd_coslr_200e.py',
    '../_base_/msf_runtime.py',
]
