# Short name of the CPU demo (what tools/run_demo.sh trains).
_base_ = './msf/msf_resnet18-w16_1xb128-coslr-30e_digits.py'
