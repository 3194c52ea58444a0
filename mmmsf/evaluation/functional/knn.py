# Copyright (c) mmmsf contributors. All rights reserved.
"""Exact k-nearest-neighbour classification on L2-normalised features."""
from typing import Dict, Iterable, Tuple

import torch
import torch.nn.functional as F


@torch.no_grad()
def knn_search(query: torch.Tensor,
               keys: torch.Tensor,
               k: int,
               chunk_size: int = 65536) -> Tuple[torch.Tensor, torch.Tensor]:
    """Exact top-k inner-product search over ``keys`` in chunks.

    Only ``N x chunk_size`` scores are alive at once, so 1.28M x 2048
    ImageNet features can be searched in bounded memory.

    Args:
        query (torch.Tensor): N x D queries.
        keys (torch.Tensor): M x D keys.
        k (int): Number of neighbours (at most M).
        chunk_size (int): Keys scored at once. Defaults to 65536.

    Returns:
        tuple[torch.Tensor]: N x k similarities (descending) and indices.
    """
    if not 1 <= k <= keys.shape[0]:
        raise ValueError(f'knn_search: k={k} but there are only '
                         f'{keys.shape[0]} keys.')
    best_sims = best_idx = None
    for start in range(0, keys.shape[0], chunk_size):
        chunk = keys[start:start + chunk_size].to(query)
        sims, idx = (query @ chunk.t()).topk(min(k, chunk.shape[0]), dim=1)
        idx = idx + start
        if best_sims is not None:
            sims = torch.cat([best_sims, sims], dim=1)
            idx = torch.cat([best_idx, idx], dim=1)
        best_sims, order = sims.topk(min(k, sims.shape[1]), dim=1)
        best_idx = idx.gather(1, order)
    return best_sims, best_idx


def majority_vote(neighbor_labels: torch.Tensor,
                  num_classes: int) -> torch.Tensor:
    """Majority vote over neighbours sorted nearest first.

    A tie between classes goes to the class whose first member is nearer.

    Args:
        neighbor_labels (torch.Tensor): N x k labels, nearest first.
        num_classes (int): Number of classes.

    Returns:
        torch.Tensor: N predicted labels.
    """
    n, k = neighbor_labels.shape
    counts = torch.zeros(n,
                         num_classes,
                         dtype=torch.long,
                         device=neighbor_labels.device)
    counts.scatter_add_(1, neighbor_labels, torch.ones_like(neighbor_labels))
    # k - rank of the nearest member of each class (0 for absent classes)
    ranks = torch.arange(k, 0, -1, device=neighbor_labels.device)
    nearest = torch.zeros_like(counts)
    nearest.scatter_reduce_(1,
                            neighbor_labels,
                            ranks.expand(n, k),
                            reduce='amax')
    return (counts * (k + 1) + nearest).argmax(dim=1)


@torch.no_grad()
def knn_majority_accuracy(train_feats: torch.Tensor,
                          train_labels: torch.Tensor,
                          test_feats: torch.Tensor,
                          test_labels: torch.Tensor,
                          ks: Iterable[int] = (1, 20),
                          num_classes: int = None,
                          query_chunk: int = 1024,
                          chunk_size: int = 65536) -> Dict[int, float]:
    """Top-1 accuracy (%) of the paper's k-NN majority-vote protocol.

    Features are L2-normalised here; neighbours are by cosine similarity.

    Args:
        train_feats (torch.Tensor): M x D features of the labelled set.
        train_labels (torch.Tensor): M labels.
        test_feats (torch.Tensor): N x D query features.
        test_labels (torch.Tensor): N labels.
        ks (Iterable[int]): Values of k. Defaults to (1, 20).
        num_classes (int, optional): Defaults to ``max(label) + 1``.
        query_chunk (int): Queries searched at once. Defaults to 1024.
        chunk_size (int): Keys scored at once. Defaults to 65536.

    Returns:
        dict[int, float]: Top-1 accuracy in percent for each k.
    """
    ks = sorted(set(int(k) for k in ks))
    if num_classes is None:
        num_classes = int(max(train_labels.max(), test_labels.max())) + 1
    train_feats = F.normalize(train_feats.float(), dim=1)
    test_feats = F.normalize(test_feats.float(), dim=1)
    train_labels = train_labels.long().to(train_feats.device)
    test_labels = test_labels.long().to(train_feats.device)
    correct = {k: 0 for k in ks}
    for start in range(0, test_feats.shape[0], query_chunk):
        query = test_feats[start:start + query_chunk]
        target = test_labels[start:start + query_chunk]
        _, idx = knn_search(query, train_feats, max(ks), chunk_size)
        nbr_labels = train_labels[idx]  # n x max(ks), nearest first
        for k in ks:
            pred = majority_vote(nbr_labels[:, :k], num_classes)
            correct[k] += int((pred == target).sum())
    return {k: 100.0 * correct[k] / test_feats.shape[0] for k in ks}


@torch.no_grad()
def knn_weighted_accuracy(train_feats: torch.Tensor,
                          train_labels: torch.Tensor,
                          test_feats: torch.Tensor,
                          test_labels: torch.Tensor,
                          k: int = 20,
                          temperature: float = 0.07,
                          num_classes: int = None) -> Tuple[float, float]:
    """Top-1/top-5 (%) of the weighted k-NN of mmselfsup / DINO.

    A thin wrapper of :func:`mmselfsup.evaluation.functional.knn_eval`
    (votes weighted by ``exp(sim / T)``) that also accepts fewer than 100
    queries, which that function splits into 100 chunks.

    Args:
        train_feats (torch.Tensor): M x D features of the labelled set.
        train_labels (torch.Tensor): M labels.
        test_feats (torch.Tensor): N x D query features.
        test_labels (torch.Tensor): N labels.
        k (int): Number of neighbours. Defaults to 20.
        temperature (float): Vote temperature. Defaults to 0.07.
        num_classes (int, optional): Defaults to ``max(label) + 1``.

    Returns:
        tuple[float]: Top-1 and top-5 accuracy in percent.
    """
    from mmmsf.utils import import_mmselfsup
    knn_eval = import_mmselfsup('mmselfsup.evaluation.functional',
                                'knn_weighted_accuracy').knn_eval
    if num_classes is None:
        num_classes = int(max(train_labels.max(), test_labels.max())) + 1
    if not 1 <= k <= train_feats.shape[0]:
        raise ValueError(f'knn_weighted_accuracy: k={k} but there are only '
                         f'{train_feats.shape[0]} labelled features.')
    # knn_eval reads the top 5 classes: give it at least 5 (empty ones
    # never outrank a voted class)
    num_classes = max(num_classes, 5)
    num_test = test_feats.shape[0]
    # repeating every query r times leaves the accuracy unchanged
    repeat = -(-100 // num_test) if num_test < 100 else 1
    top1, top5 = knn_eval(train_feats.float(), train_labels.long(),
                          test_feats.float().repeat(repeat, 1),
                          test_labels.long().repeat(repeat), k, temperature,
                          num_classes)
    return float(top1), float(top5)
