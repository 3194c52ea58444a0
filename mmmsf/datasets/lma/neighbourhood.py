# Copyright (c) mmmsf contributors. All rights reserved.
"""Exact k-NN of every training sample among the training samples."""
import torch

from mmmsf.utils.chunked_topk import chunked_topk


def knn_neighbours(features: torch.Tensor,
                   k: int,
                   use_faiss: bool = False,
                   chunk_size: int = 4096) -> torch.Tensor:
    """The ``k`` nearest samples of each sample, itself first.

    Exact inner-product search over L2-normalised features (cosine
    similarity), with :func:`mmmsf.utils.chunked_topk` or, when asked,
    faiss's exact ``IndexFlatIP``. A sample is its own first neighbour
    even when exact duplicates tie with it.

    Args:
        features (torch.Tensor): N x D, L2-normalised.
        k (int): Neighbours per sample, itself included; ``1 <= k <= N``.
        use_faiss (bool): Search with faiss (must be installed).
            Defaults to False.
        chunk_size (int): Queries searched at once. Defaults to 4096.

    Returns:
        torch.Tensor: N x k int64 indices, column 0 the sample itself.
    """
    num = len(features)
    if not 1 <= k <= num:
        raise ValueError(f'InstanceNeighbourhoodDataset: k={k} but the '
                         f'dataset has {num} samples; set 1 <= k <= {num}.')
    features = features.float().contiguous()
    if use_faiss:
        try:
            import faiss
        except ImportError as err:
            raise ImportError('use_faiss=True needs faiss (pip install '
                              'faiss-cpu), or set use_faiss=False.') from err
        index = faiss.IndexFlatIP(features.shape[1])
        index.add(features.numpy())
        _, found = index.search(features.numpy(), k)
        found = torch.from_numpy(found).long()
    else:
        found = torch.cat([
            chunked_topk(features[start:start + chunk_size], features, k)[1]
            for start in range(0, num, chunk_size)
        ])
    own = torch.arange(num).unsqueeze(1)  # N x 1
    others = found != own
    # drop self where it was found (a duplicate may precede it), else the
    # k-th neighbour; then put self first
    keep = others & (others.cumsum(1) <= k - 1)
    return torch.cat([own, found[keep].view(num, k - 1)], dim=1)
