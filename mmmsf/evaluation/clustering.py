# Copyright (c) mmmsf contributors. All rights reserved.
"""k-means of backbone features scored against the labels.

The paper (`MSF <https://arxiv.org/abs/2105.07269>`_, Fig. "k-means
clusters") clusters frozen features; the scores are the usual ones of
deep clustering: normalised mutual information, adjusted Rand index
(scikit-learn) and cluster accuracy, the accuracy of the best one-to-one
map from clusters to classes (Hungarian matching, scipy).
"""
from typing import Dict, Tuple

import numpy as np
from scipy.optimize import linear_sum_assignment
from sklearn.cluster import KMeans
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score
from sklearn.metrics.cluster import contingency_matrix


def cluster_accuracy(labels: np.ndarray, clusters: np.ndarray) -> float:
    """Accuracy of the best one-to-one map from clusters to labels.

    Args:
        labels (np.ndarray): N ground-truth labels.
        clusters (np.ndarray): N cluster ids.

    Returns:
        float: Share of samples whose cluster maps to their label, in
        [0, 1]. With more clusters than classes the extra clusters match
        nothing and count as errors.
    """
    labels, clusters = np.asarray(labels), np.asarray(clusters)
    if labels.shape != clusters.shape or labels.ndim != 1:
        raise ValueError(f'cluster_accuracy: labels {labels.shape} and '
                         f'clusters {clusters.shape} must be two vectors of '
                         f'the same length.')
    # counts[l, c]: samples of label l in cluster c
    counts = contingency_matrix(labels, clusters)
    rows, cols = linear_sum_assignment(counts, maximize=True)
    return float(counts[rows, cols].sum() / len(labels))


def clustering_scores(labels: np.ndarray,
                      clusters: np.ndarray) -> Dict[str, float]:
    """NMI, adjusted Rand index and cluster accuracy, all in [0, 1].

    Args:
        labels (np.ndarray): N ground-truth labels.
        clusters (np.ndarray): N cluster ids.

    Returns:
        dict[str, float]: ``nmi`` (arithmetic normalisation, scikit-learn's
        default), ``ari`` and ``cluster_acc``.
    """
    return dict(nmi=float(normalized_mutual_info_score(labels, clusters)),
                ari=float(adjusted_rand_score(labels, clusters)),
                cluster_acc=cluster_accuracy(labels, clusters))


def kmeans_clusters(feats: np.ndarray,
                    num_clusters: int,
                    seed: int = 0,
                    n_init: int = 10) -> Tuple[np.ndarray, np.ndarray]:
    """scikit-learn k-means of (L2-normalised) features.

    Args:
        feats (np.ndarray): N x C features.
        num_clusters (int): Number of clusters.
        seed (int): Seed of the initialisations. Defaults to 0.
        n_init (int): Number of k-means++ restarts; the best inertia wins.
            Defaults to 10.

    Returns:
        tuple[np.ndarray]: N cluster ids and the N distances of each
        sample to its cluster's centre.
    """
    if not 1 <= num_clusters <= len(feats):
        raise ValueError(f'kmeans_clusters: {num_clusters} clusters for '
                         f'{len(feats)} samples.')
    kmeans = KMeans(n_clusters=num_clusters, n_init=n_init, random_state=seed)
    dists = kmeans.fit_transform(np.asarray(feats, dtype=np.float64))
    clusters = kmeans.labels_
    return clusters, dists[np.arange(len(clusters)), clusters]
