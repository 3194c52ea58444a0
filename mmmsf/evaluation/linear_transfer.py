# Copyright (c) mmmsf contributors. All rights reserved.
"""Linear transfer evaluation on frozen features (table 3 of MSF).

`Mean Shift for Self-Supervised Learning
<https://arxiv.org/abs/2105.07269>`_ reports transfer with the protocol of
BYOL (appendix D) and SimCLR (appendix B.8), which follow Kornblith et al.,
*Do Better ImageNet Models Transfer Better?*: an l2-regularised multinomial
logistic regression, fitted with L-BFGS on the frozen pooled features of
unaugmented images, its regularisation chosen among 45 log-spaced values in
``[1e-6, 1e5]`` on a validation split, then refitted on train + val and
scored once on the test split.

Here the solver is scikit-learn's :class:`~sklearn.linear_model.
LogisticRegression` (``lbfgs``, multinomial loss, L2 penalty, unpenalised
bias). A grid value ``lam`` is the inverse of its ``C``: the objective is
``sum_i CE_i + lam / 2 * ||W||^2`` over the training samples (the reading
of Ericsson et al.'s public re-implementation, ``C = 1 / wd``; the BYOL and
SimCLR texts do not spell the scaling out: see docs/transfer.md).

Split (:func:`held_out_split`), sweep (:func:`regularization_sweep`), refit
and score (:func:`transfer_linear_eval`); the program that embeds the
datasets and tabulates the paper's numbers is
``tools/benchmarks/transfer_linear_eval.py``.
"""
import logging
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
from mmengine.logging import print_log

#: ``top1``: accuracy over samples; ``mean_per_class``: the mean of the
#: per-class accuracies (scikit-learn's balanced accuracy).
TRANSFER_METRICS = ('top1', 'mean_per_class')


def default_regularization_grid() -> np.ndarray:
    """The 45 log-spaced regularisation strengths of BYOL / SimCLR.

    Returns:
        np.ndarray: ``logspace(-6, 5, 45)``, increasing.
    """
    return np.logspace(-6, 5, 45)


def transfer_score(metric: str, y_true: np.ndarray,
                   y_pred: np.ndarray) -> float:
    """The dataset's metric in percent.

    Args:
        metric (str): ``'top1'`` or ``'mean_per_class'``.
        y_true (np.ndarray): N true labels.
        y_pred (np.ndarray): N predicted labels.

    Returns:
        float: Top-1 accuracy, or the mean over the classes present in
        ``y_true`` of their accuracy, times 100.
    """
    from sklearn.metrics import accuracy_score, balanced_accuracy_score
    if metric == 'top1':
        return 100. * float(accuracy_score(y_true, y_pred))
    if metric == 'mean_per_class':
        return 100. * float(balanced_accuracy_score(y_true, y_pred))
    raise ValueError(f'Unknown transfer metric {metric!r}: use one of '
                     f'{TRANSFER_METRICS}.')


def held_out_split(labels: np.ndarray,
                   val_fraction: float = 0.2,
                   seed: int = 0) -> Tuple[np.ndarray, np.ndarray]:
    """A deterministic, class-stratified validation part of a train split.

    For the datasets without an official validation split, ``val_fraction``
    of the training samples of each class (scikit-learn's stratified
    ``train_test_split``, a fixed ``seed``) are held out to choose the
    regularisation; the final classifier is then refitted on all of them.
    Stratified, because the fine-grained sets have few images per class
    (Caltech-101: 30), where a plain random split can leave a class out of
    the validation part.

    Args:
        labels (np.ndarray): N labels of the train split, in dataset order.
        val_fraction (float): Fraction held out. Defaults to 0.2.
        seed (int): Seed of the split. Defaults to 0.

    Returns:
        tuple[np.ndarray]: Sorted indices ``(train_idx, val_idx)``.
    """
    from sklearn.model_selection import train_test_split
    labels = np.asarray(labels)
    if not 0. < val_fraction < 1.:
        raise ValueError(f'val_fraction must be in (0, 1), got '
                         f'{val_fraction}.')
    classes, counts = np.unique(labels, return_counts=True)
    if counts.min() < 2:
        raise ValueError(
            f'Cannot hold out a stratified validation part: class '
            f'{classes[counts.argmin()]} has {counts.min()} training sample.')
    train_idx, val_idx = train_test_split(np.arange(len(labels)),
                                          test_size=val_fraction,
                                          stratify=labels,
                                          random_state=seed)
    return np.sort(train_idx), np.sort(val_idx)


def _fit_path(train_x: np.ndarray, train_y: np.ndarray, val_x: np.ndarray,
              val_y: np.ndarray, metric: str, lambdas: Sequence[float],
              max_iter: int, tol: float) -> List[Tuple[float, int]]:
    """Fit along ``lambdas`` (decreasing), each fit warm-started from the
    previous solution; return ``(val_score, n_iter)`` per value."""
    import warnings

    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import LogisticRegression
    clf = LogisticRegression(solver='lbfgs',
                             max_iter=max_iter,
                             tol=tol,
                             warm_start=True)
    out = []
    for lam in lambdas:
        clf.set_params(C=1. / lam)
        with warnings.catch_warnings():
            warnings.simplefilter('ignore', ConvergenceWarning)
            clf.fit(train_x, train_y)
        out.append(
            (transfer_score(metric, val_y,
                            clf.predict(val_x)), int(np.max(clf.n_iter_))))
    return out


def regularization_sweep(train_x: np.ndarray,
                         train_y: np.ndarray,
                         val_x: np.ndarray,
                         val_y: np.ndarray,
                         metric: str,
                         lambdas: Optional[Sequence[float]] = None,
                         max_iter: int = 1000,
                         tol: float = 1e-4,
                         n_jobs: int = 1) -> Dict[str, list]:
    """Validation score of the classifier fitted with each regularisation.

    The values are visited from the strongest regularisation to the
    weakest, each fit starting from the previous solution (the problems are
    convex, with a unique optimum in the weights, so a warm start changes
    where L-BFGS starts, not the classifier it converges to; it matters
    only for fits stopped by ``max_iter`` or ``tol``). With
    ``n_jobs > 1`` the grid is cut into ``n_jobs`` contiguous pieces fitted
    in parallel joblib threads (the matrix products and scikit-learn's loss
    release the GIL), each warm-started along its piece: scikit-learn's
    ``n_jobs`` has no effect on a multinomial L-BFGS fit.

    Args:
        train_x (np.ndarray): N x D training features.
        train_y (np.ndarray): N training labels.
        val_x (np.ndarray): M x D validation features.
        val_y (np.ndarray): M validation labels.
        metric (str): See :func:`transfer_score`.
        lambdas (Sequence[float], optional): Regularisation strengths
            (``1 / C``). Defaults to :func:`default_regularization_grid`.
        max_iter (int): L-BFGS iterations per fit. Defaults to 1000.
        tol (float): L-BFGS tolerance. Defaults to 1e-4.
        n_jobs (int): Threads. Defaults to 1.

    Returns:
        dict: ``lambdas`` (in increasing order), their ``val_scores`` and
        ``n_iter`` (iterations of each fit; ``max_iter`` means the fit was
        stopped before convergence).
    """
    lambdas = np.sort(
        np.asarray(
            default_regularization_grid() if lambdas is None else lambdas,
            dtype=np.float64))[::-1]  # strongest first
    if lambdas.size == 0 or lambdas.min() <= 0:
        raise ValueError('lambdas must be a non-empty list of positive '
                         'regularisation strengths.')
    n_jobs = max(1, min(int(n_jobs), lambdas.size))
    pieces = np.array_split(lambdas, n_jobs)
    args = (train_x, train_y, val_x, val_y, metric)
    if n_jobs == 1:
        results = [_fit_path(*args, pieces[0], max_iter, tol)]
    else:
        from joblib import Parallel, delayed
        results = Parallel(n_jobs=n_jobs, prefer='threads')(
            delayed(_fit_path)(*args, piece, max_iter, tol)
            for piece in pieces)
    flat = [r for piece in results for r in piece][::-1]  # increasing
    return dict(lambdas=lambdas[::-1].tolist(),
                val_scores=[s for s, _ in flat],
                n_iter=[n for _, n in flat])


def transfer_linear_eval(train_x: np.ndarray,
                         train_y: np.ndarray,
                         val_x: np.ndarray,
                         val_y: np.ndarray,
                         test_x: np.ndarray,
                         test_y: np.ndarray,
                         metric: str,
                         lambdas: Optional[Sequence[float]] = None,
                         standardize: bool = False,
                         max_iter: int = 1000,
                         tol: float = 1e-4,
                         n_jobs: int = 1) -> dict:
    """Choose the regularisation on val, refit on train + val, score test.

    Args:
        train_x (np.ndarray): N x D training features.
        train_y (np.ndarray): N training labels.
        val_x (np.ndarray): M x D validation features.
        val_y (np.ndarray): M validation labels.
        test_x (np.ndarray): T x D test features.
        test_y (np.ndarray): T test labels.
        metric (str): ``'top1'`` or ``'mean_per_class'``, used both to
            choose the regularisation and to score the test split.
        lambdas (Sequence[float], optional): See
            :func:`regularization_sweep`. Defaults to the 45-value grid.
        standardize (bool): Scale each feature to zero mean and unit
            variance (statistics of the split being fitted) before the
            regression. Not part of the BYOL / SimCLR protocol (their texts
            mention no feature scaling); it speeds L-BFGS up but changes
            what the penalty means. Defaults to False.
        max_iter (int): L-BFGS iterations per fit. Defaults to 1000.
        tol (float): L-BFGS tolerance. Defaults to 1e-4.
        n_jobs (int): Threads of the sweep. Defaults to 1.

    Returns:
        dict: ``metric``, ``test_score`` (percent), ``best_lambda``,
        ``best_C``, ``best_val_score`` and the sweep (``lambdas``,
        ``val_scores``, ``n_iter``), ``final_n_iter``, ``max_iter`` and the
        split sizes. Ties of the validation score go to the stronger
        regularisation.
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler
    train_x, val_x, test_x = (np.asarray(x, dtype=np.float64)
                              for x in (train_x, val_x, test_x))
    train_y, val_y, test_y = (np.asarray(y) for y in (train_y, val_y, test_y))
    for name, y in (('train', train_y), ('val', val_y), ('test', test_y)):
        if y.size == 0 or (y < 0).any():
            raise ValueError(f'The {name} split is empty or has samples '
                             f'without a label.')
    if standardize:
        scaler = StandardScaler().fit(train_x)
        sweep_train, sweep_val = scaler.transform(train_x), scaler.transform(
            val_x)
    else:
        sweep_train, sweep_val = train_x, val_x
    sweep = regularization_sweep(sweep_train, train_y, sweep_val, val_y,
                                 metric, lambdas, max_iter, tol, n_jobs)
    scores = np.asarray(sweep['val_scores'])
    # the largest lambda among the best scores
    best = int(np.flatnonzero(scores == scores.max())[-1])
    best_lambda = sweep['lambdas'][best]
    print_log(
        f'transfer: best regularisation {best_lambda:.3g} (C = '
        f'{1. / best_lambda:.3g}), validation {metric} '
        f'{scores[best]:.2f}; refitting on train + val.',
        logger='current')

    if len(scores) > 1 and best in (0, len(scores) - 1):
        print_log(
            f'transfer: the best regularisation {best_lambda:.3g} is at an '
            f'end of the grid; the optimum may lie outside it.',
            logger='current',
            level=logging.WARNING)

    trainval_x = np.concatenate([train_x, val_x])
    trainval_y = np.concatenate([train_y, val_y])
    if standardize:
        scaler = StandardScaler().fit(trainval_x)
        trainval_x, test_x = scaler.transform(trainval_x), scaler.transform(
            test_x)
    clf = LogisticRegression(solver='lbfgs',
                             C=1. / best_lambda,
                             max_iter=max_iter,
                             tol=tol)
    clf.fit(trainval_x, trainval_y)
    test_score = transfer_score(metric, test_y, clf.predict(test_x))
    not_converged = int(sum(n >= max_iter for n in sweep['n_iter']))
    if not_converged:
        print_log(
            f'transfer: {not_converged} of {len(sweep["lambdas"])} '
            f'sweep fits stopped at max_iter={max_iter}.',
            logger='current')
    return dict(metric=metric,
                test_score=test_score,
                best_lambda=best_lambda,
                best_C=1. / best_lambda,
                best_val_score=float(scores[best]),
                lambdas=sweep['lambdas'],
                val_scores=sweep['val_scores'],
                n_iter=sweep['n_iter'],
                final_n_iter=int(np.max(clf.n_iter_)),
                max_iter=max_iter,
                standardize=standardize,
                num_train=int(train_y.size),
                num_val=int(val_y.size),
                num_test=int(test_y.size))
