# Copyright (c) mmmsf contributors. All rights reserved.
from .knn import knn_majority_accuracy, knn_search, majority_vote
from .knn_benchmark import (faiss_knn_search, knn_benchmark,
                            knn_weighted_accuracy, weighted_vote)

__all__ = [
    'knn_search', 'majority_vote', 'knn_majority_accuracy',
    'knn_weighted_accuracy', 'faiss_knn_search', 'weighted_vote',
    'knn_benchmark'
]
