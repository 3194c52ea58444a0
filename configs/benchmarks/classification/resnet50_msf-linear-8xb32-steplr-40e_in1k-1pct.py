# T2 of the MSF paper: a linear layer on frozen features trained with 1%
# of the ImageNet labels (SimCLR's 1percent.txt), in the MSF linear
# protocol (L2 norm + standardisation with the statistics of these labelled
# images, SGD lr 0.01, 40 epochs, lr x0.1 at 15 and 30); top-1 and top-5 on
# the full val set. Write the ann_file first (docs/reproduce.md):
#   python tools/dataset_converters/make_semi_supervised_ann.py \
#       data/imagenet data/imagenet/meta/train_1pct.txt \
#       --image-list 1percent.txt
_base_ = './resnet50_msf-linear-8xb32-steplr-40e_in1k.py'

train_dataloader = dict(dataset=dict(ann_file='meta/train_1pct.txt'))
