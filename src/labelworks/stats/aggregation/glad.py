"""GLAD (Whitehill et al., 2009): annotator ability × item difficulty, fitted by EM."""

from __future__ import annotations

import numpy as np
from scipy.special import expit, log_expit

from labelworks.stats.aggregation.estimator import (
    Aggregator,
    FloatArray,
    IntArray,
    check_nonnegative,
    check_positive_int,
    check_ratings,
    row_softmax,
)
from labelworks.stats.ratings import Ratings

# Newton steps are capped so that one badly-conditioned item (few labels, flat likelihood)
# cannot jump far from the prior in a single M-step.
_MAX_STEP = 1.0


class GLAD(Aggregator):
    """Generative model of Labels, Abilities and Difficulties.

    Source: J. Whitehill, P. Ruvolo, T. Wu, J. Bergsma and J. Movellan, "Whose Vote Should
    Count More: Optimal Integration of Labels from Labelers of Unknown Expertise", NIPS 2009.
    Multi-class form and priors as in crowd-kit's ``GLAD``.

    Annotator ``a`` labels item ``i`` correctly with probability
    ``sigmoid(alpha[a] * beta[i])`` and otherwise picks one of the other ``K - 1`` classes
    uniformly. ``alpha`` is ability (0 = guessing, negative = adversarial) and
    ``beta = exp(b) > 0`` is inverse difficulty (large = easy). Gaussian priors
    ``alpha ~ N(alpha_prior, 1)`` and ``b ~ N(beta_prior, 1)`` keep items with a handful of
    labels well defined; class priors are uniform. EM alternates item posteriors (E-step)
    with one damped Newton step for every ``alpha`` and then every ``b`` (a generalised
    M-step: each is a closed-form per-parameter update computed with ``np.bincount``, so a
    round costs a few passes over the ratings instead of a conjugate-gradient solve).

    How to read it: ``probas_`` as for every aggregator; ``alphas_`` per annotator
    (``annotators_`` order), ``betas_`` per item (``items_`` order) — items with the lowest
    ``betas_`` are the ones annotators found hardest.

    Args:
        max_iter: maximum EM rounds.
        tol: stop when the mean per-rating log posterior gains less than this.
        alpha_prior: prior mean of abilities (crowd-kit: 1).
        beta_prior: prior mean of ``log beta`` (crowd-kit: 1).

    Learned attributes: labels_, probas_, alphas_, betas_, priors_ (uniform), n_iter_,
    log_posterior_ (mean per rating).

    Example:
        >>> from labelworks.stats import Ratings
        >>> r = Ratings.from_records([
        ...     ("x1", "a", "yes"), ("x1", "b", "yes"), ("x1", "c", "no"),
        ...     ("x2", "a", "no"), ("x2", "b", "no"), ("x2", "c", "no"),
        ...     ("x3", "a", "yes"), ("x3", "b", "yes"), ("x3", "c", "no"),
        ... ])
        >>> g = GLAD().fit(r)
        >>> g.labels_.to_dict()
        {'x1': 'yes', 'x2': 'no', 'x3': 'yes'}
        >>> bool(g.alphas_[2] < g.alphas_[0])  # c disagrees with the others twice
        True
    """

    alphas_: FloatArray
    betas_: FloatArray
    priors_: FloatArray
    n_iter_: int
    log_posterior_: float

    def __init__(
        self,
        *,
        max_iter: int = 100,
        tol: float = 1e-5,
        alpha_prior: float = 1.0,
        beta_prior: float = 1.0,
    ) -> None:
        self.max_iter = max_iter
        self.tol = tol
        self.alpha_prior = alpha_prior
        self.beta_prior = beta_prior

    def fit(self, ratings: Ratings) -> GLAD:
        """Run EM until the log posterior stops improving by ``tol``."""
        ratings = check_ratings(ratings)
        check_positive_int("max_iter", self.max_iter)
        check_nonnegative("tol", self.tol)
        item, annotator, label = ratings.item, ratings.annotator, ratings.label
        n_items, n_annotators, k = ratings.n_items, ratings.n_annotators, ratings.n_categories
        flat = item * k + label
        log_wrong_share = np.log(max(k - 1, 1))
        log_prior = np.full(k, -np.log(k))
        alpha = np.full(n_annotators, float(self.alpha_prior))
        b = np.full(n_items, float(self.beta_prior))

        previous = -np.inf
        objective = -np.inf
        n_iter = 0
        for n_iter in range(1, self.max_iter + 1):  # noqa: B007 - n_iter is reported
            beta_row = np.exp(b)[item]
            x = alpha[annotator] * beta_row
            right = log_expit(x)
            wrong = log_expit(-x) - log_wrong_share
            # E-step: log P(labels | z = c) = sum of "wrong" terms + (right - wrong) where
            # the rating names c; two bincounts instead of a per-item loop.
            log_scores = _sum_by(flat, right - wrong, n_items * k).reshape(n_items, k)
            log_scores += _sum_by(item, wrong, n_items)[:, None]
            log_scores += log_prior
            posteriors, log_norm = row_softmax(log_scores)
            objective = (
                float(log_norm.sum())
                - 0.5 * float(((alpha - self.alpha_prior) ** 2).sum())
                - 0.5 * float(((b - self.beta_prior) ** 2).sum())
            ) / ratings.n_ratings
            if objective - previous < self.tol:
                break
            previous = objective
            correct = posteriors.reshape(-1)[flat]

            # M-step for abilities given difficulties (concave, one Newton step each).
            sigma = expit(x)
            grad = _sum_by(annotator, (correct - sigma) * beta_row, n_annotators)
            curv = _sum_by(annotator, sigma * (1 - sigma) * beta_row**2, n_annotators)
            grad -= alpha - self.alpha_prior
            alpha += np.clip(grad / (curv + 1.0), -_MAX_STEP, _MAX_STEP)

            # M-step for log-difficulties given the new abilities (Fisher scoring keeps the
            # curvature negative where the exact Hessian may not be).
            alpha_row = alpha[annotator]
            x = alpha_row * beta_row
            sigma = expit(x)
            grad = _sum_by(item, (correct - sigma) * x, n_items)
            curv = _sum_by(item, sigma * (1 - sigma) * x**2, n_items)
            grad -= b - self.beta_prior
            b += np.clip(grad / (curv + 1.0), -_MAX_STEP, _MAX_STEP)

        self.alphas_ = alpha
        self.betas_ = np.exp(b)
        self.priors_ = np.exp(log_prior)
        self.n_iter_ = n_iter
        self.log_posterior_ = objective
        self._finish(ratings, posteriors)
        return self


def _sum_by(index: IntArray, weights: FloatArray, size: int) -> FloatArray:
    """Group sums of ``weights`` by ``index`` (a float ``np.bincount``)."""
    return np.bincount(index, weights=weights, minlength=size).astype(np.float64, copy=False)
