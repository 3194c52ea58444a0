# Copyright (c) mmmsf contributors. All rights reserved.
"""The k-nearest-neighbour protocol on L2-normalised features.

One exact neighbour search (:func:`knn_search`), scored by the majority
vote of the `MSF <https://arxiv.org/abs/2105.07269>`_ paper
(:func:`majority_vote`) and by the weighted vote of DINO / mmselfsup
(:func:`weighted_vote`); :func:`knn_accuracy` runs the whole protocol for
``tools/benchmarks/knn_eval.py`` and ``KNNMonitorHook``.
"""
from typing import Dict, Iterable, List, Optional, Tuple

import torch
import torch.nn.functional as F

from mmmsf.utils.chunked_topk import chunked_topk


@torch.no_grad()
def knn_search(query: torch.Tensor,
               keys: torch.Tensor,
               k: int,
               chunk_size: int = 65536,
               use_faiss: bool = False) -> Tuple[torch.Tensor, torch.Tensor]:
    """Exact top-k inner-product search of ``query`` among ``keys``.

    By default a chunked torch search (:func:`~mmmsf.utils.chunked_topk.
    chunked_topk`; ``N x chunk_size`` scores alive at once, so 1.28M x 2048
    ImageNet features fit). With ``use_faiss`` faiss's ``IndexFlatIP`` on
    the CPU, faster on large CPU sets.

    Args:
        query (torch.Tensor): N x D queries.
        keys (torch.Tensor): M x D keys.
        k (int): Number of neighbours (at most M).
        chunk_size (int): Keys scored at once by torch. Defaults to 65536.
        use_faiss (bool): Search with faiss. Defaults to False.

    Returns:
        tuple[torch.Tensor]: N x k similarities (descending) and indices,
        on ``query``'s device.
    """
    if not use_faiss:
        return chunked_topk(query, keys, k, chunk_size)
    import faiss
    if not 1 <= k <= keys.shape[0]:
        raise ValueError(f'knn_search: k={k} but there are only '
                         f'{keys.shape[0]} keys.')
    index = faiss.IndexFlatIP(keys.shape[1])
    index.add(keys.detach().float().cpu().contiguous().numpy())
    sims, idx = index.search(query.detach().float().cpu().contiguous().numpy(),
                             k)
    return (torch.from_numpy(sims).to(query.device),
            torch.from_numpy(idx).long().to(query.device))


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


def weighted_vote(neighbor_sims: torch.Tensor, neighbor_labels: torch.Tensor,
                  num_classes: int, temperature: float) -> torch.Tensor:
    """Class scores of the weighted k-NN of DINO / mmselfsup.

    Each neighbour votes for its class with ``exp(sim / T)``, as in
    mmselfsup's ``knn_eval``; unlike it, the vote takes neighbours found
    once for every ``k``.

    Args:
        neighbor_sims (torch.Tensor): N x k cosine similarities.
        neighbor_labels (torch.Tensor): N x k labels.
        num_classes (int): Number of classes.
        temperature (float): ``T``.

    Returns:
        torch.Tensor: N x num_classes scores.
    """
    scores = neighbor_sims.new_zeros(neighbor_sims.shape[0], num_classes)
    return scores.scatter_add_(1, neighbor_labels,
                               (neighbor_sims / temperature).exp())


@torch.no_grad()
def knn_accuracy(
        train_feats: torch.Tensor,
        train_labels: torch.Tensor,
        test_feats: torch.Tensor,
        test_labels: torch.Tensor,
        majority_ks: Iterable[int] = (1, 20),
        weighted_ks: Iterable[int] = (10, 20, 100, 200),
        temperature: float = 0.07,
        num_classes: Optional[int] = None,
        use_faiss: bool = False,
        query_chunk: int = 1024) -> Tuple[Dict[str, float], List[str]]:
    """k-NN accuracies (%) of both votes from one neighbour search.

    - ``knn_<k>nn``: majority vote over the ``k`` nearest training
      features (the MSF paper's 1-NN and 20-NN); a tie goes to the class
      whose first member is nearer.
    - ``weighted_k<k>_top1`` / ``_top5``: votes weighted by
      ``exp(sim / T)`` (DINO, mmselfsup's ``knn_eval``). As there, top-5
      looks at the first ``min(5, k)`` classes; classes with equal scores
      are ranked by index.

    A ``k`` larger than the training set is skipped and explained in the
    returned notes. Features are L2-normalised here.

    Args:
        train_feats (torch.Tensor): M x D features of the labelled set.
        train_labels (torch.Tensor): M labels.
        test_feats (torch.Tensor): N x D query features.
        test_labels (torch.Tensor): N labels.
        majority_ks (Iterable[int]): k of the majority vote.
            Defaults to (1, 20).
        weighted_ks (Iterable[int]): k of the weighted vote.
            Defaults to (10, 20, 100, 200).
        temperature (float): Vote temperature. Defaults to 0.07.
        num_classes (int, optional): Defaults to ``max(label) + 1``.
        use_faiss (bool): Search with faiss instead of torch.
            Defaults to False.
        query_chunk (int): Queries searched at once. Defaults to 1024.

    Returns:
        tuple: ``(metrics, notes)``: a dict of accuracies and a list of
        messages about skipped values of k.
    """
    num_train = train_feats.shape[0]
    notes = []
    valid = {}
    for name, ks in (('majority', majority_ks), ('weighted', weighted_ks)):
        valid[name] = sorted(set(int(k) for k in ks if 1 <= k <= num_train))
        notes += [
            f'{name} k={k} skipped: only {num_train} training features'
            for k in sorted(set(int(k) for k in ks)) if k > num_train
        ]
    max_k = max(valid['majority'] + valid['weighted'], default=0)
    if max_k == 0:
        return {}, notes
    if num_classes is None:
        num_classes = int(max(train_labels.max(), test_labels.max())) + 1
    train_feats = F.normalize(train_feats.float(), dim=1)
    test_feats = F.normalize(test_feats.float(), dim=1)
    train_labels = train_labels.long().to(train_feats.device)
    test_labels = test_labels.long().to(train_feats.device)

    correct = {}
    for start in range(0, test_feats.shape[0], query_chunk):
        query = test_feats[start:start + query_chunk]
        target = test_labels[start:start + query_chunk, None]  # n x 1
        sims, idx = knn_search(query, train_feats, max_k, use_faiss=use_faiss)
        labels = train_labels[idx]  # n x max_k, nearest first
        results = {}
        for k in valid['majority']:
            pred = majority_vote(labels[:, :k], num_classes)
            results[f'knn_{k}nn'] = pred[:, None] == target
        for k in valid['weighted']:
            scores = weighted_vote(sims[:, :k], labels[:, :k], num_classes,
                                   temperature)
            ranked = scores.sort(dim=1, descending=True, stable=True)[1]
            hits = ranked == target
            results[f'weighted_k{k}_top1'] = hits[:, :1]
            results[f'weighted_k{k}_top5'] = hits[:, :min(5, k)]
        for key, hit in results.items():
            correct[key] = correct.get(key, 0) + int(hit.any(dim=1).sum())
    num_test = test_feats.shape[0]
    return {k: 100.0 * v / num_test for k, v in correct.items()}, notes
