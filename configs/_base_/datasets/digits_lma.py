# LMA's view operator on the embedded digits (docs/lma.md): the generator
# of configs/lma/icgan_digits_cpu.py and, for the real-neighbour control,
# the neighbourhoods it was trained on. The SSL configs that inherit this
# file place `lma_view` or `lma_real_neighbour_view` first in a branch.

# where `python tools/lma/train_generator.py configs/lma/icgan_digits_cpu.py`
# leaves its last checkpoint (its default work dir, its last epoch)
lma_generator = 'work_dirs/icgan_digits_cpu/epoch_35.pth'

# the generator's conditioning features and neighbourhoods, as in its
# config: label-free PCA-64 of the training digits' pixels, k = 10 (both
# cached under ~/.cache/mmmsf/lma, shared with the generator's training)
lma_images = dict(type='EmbeddedDigits', split='train')
lma_extractor = dict(type='PCAFeatureExtractor',
                     dataset=lma_images,
                     num_components=64)
lma_neighbourhood = dict(type='InstanceNeighbourhoodDataset',
                         dataset=lma_images,
                         extractor=lma_extractor,
                         k=10)

# with probability p, G_ema(z, h(x)) replaces the 28x28 digit before the
# branch's crops and jitter (p = 0.5: ours, the abstract gives no value)
lma_view = dict(type='LocalManifoldAugment',
                p=0.5,
                generator=lma_generator,
                extractor=lma_extractor)
# the control: with the same p, a real digit drawn uniformly from the
# input's neighbourhood (itself included) replaces it
lma_real_neighbour_view = dict(type='LocalManifoldAugment',
                               p=0.5,
                               source='real_neighbour',
                               neighbourhood=lma_neighbourhood)
