# Short name of the paper recipe (see configs/msf/ for all variants).
_base_ = './msf/msf_resnet50_8xb32-coslr-200e_in1k.py'
