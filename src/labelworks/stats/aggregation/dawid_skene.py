"""Dawid–Skene (1979) and its one-coin special case, fitted by vectorised EM."""

from __future__ import annotations

import numpy as np

from labelworks.stats.aggregation.estimator import (
    Aggregator,
    FloatArray,
    check_nonnegative,
    check_positive_int,
    check_ratings,
    row_softmax,
)
from labelworks.stats.aggregation.incidence import Incidence
from labelworks.stats.aggregation.majority import vote_shares
from labelworks.stats.ratings import Ratings

# Floor for probabilities before taking logs; the same value crowd-kit clips to, so that a
# zero count never turns into -inf and results stay comparable.
_EPS = 1e-10
_INITS = ("majority",)


class DawidSkene(Aggregator):
    """Dawid & Skene's latent-class model: one full confusion matrix per annotator.

    Source: A. P. Dawid and A. M. Skene, "Maximum Likelihood Estimation of Observer
    Error-Rates Using the EM Algorithm", Applied Statistics 28(1), 1979, 20–28.

    Each item has an unknown true class ``z`` drawn from ``priors_``; annotator ``a``
    reports class ``l`` with probability ``confusions_[a, z, l]``. EM alternates the
    posterior of ``z`` for every item (E-step, eq. 2.5) with the maximum-likelihood priors
    and confusion matrices given those posteriors (M-step, eqs. 2.3–2.4), starting from
    the vote shares (eq. 3.1, ``init="majority"``). It stops when the mean log-likelihood
    per rating improves by less than ``tol`` or after ``max_iter`` rounds.

    Repeated ratings (``Ratings.from_records(..., repeats=True)``) count as in the paper,
    where ``n_il^(k)`` is the number of times observer ``k`` gave response ``l`` to patient
    ``i`` (its anaesthetist 1 saw every patient three times): each repeat is one more
    independent observation, so agreeing repeats sharpen the posteriors and conflicting
    ones flatten them.

    How to read it: ``probas_[i, k]`` is the posterior probability that item ``items_[i]``
    is ``categories_[k]``; the diagonal of ``confusions_[a]`` is annotator ``a``'s recall
    per true class, and off-diagonal mass shows systematic confusions (an annotator who
    always says "cat" for "dog" is still informative, unlike under majority vote).

    Args:
        max_iter: maximum EM rounds.
        tol: stop when the mean per-rating log-likelihood gains less than this.
        init: ``"majority"`` (vote shares, as in the paper and crowd-kit).
        smoothing: pseudo-count added to every confusion cell before normalising (a
            symmetric Dirichlet prior; ``0`` is the paper's maximum likelihood).

    Learned attributes:
        labels_, probas_ (items × categories), priors_ (categories), confusions_
        (annotators × true × observed, each row sums to 1), n_iter_, log_likelihood_
        (mean per rating at the last E-step).

    Example:
        >>> from labelworks.stats import Ratings
        >>> r = Ratings.from_records([
        ...     ("x1", "a", "yes"), ("x1", "b", "yes"), ("x1", "c", "no"),
        ...     ("x2", "a", "no"), ("x2", "b", "no"), ("x2", "c", "no"),
        ...     ("x3", "a", "yes"), ("x3", "b", "yes"), ("x3", "c", "no"),
        ... ])
        >>> ds = DawidSkene().fit(r)
        >>> ds.labels_.to_dict()
        {'x1': 'yes', 'x2': 'no', 'x3': 'yes'}
        >>> ds.probas_.sum(axis=1).round(6).tolist()
        [1.0, 1.0, 1.0]
        >>> ds.confusions_.shape  # 3 annotators, 2 true classes, 2 observed classes
        (3, 2, 2)
    """

    priors_: FloatArray
    confusions_: FloatArray
    n_iter_: int
    log_likelihood_: float

    def __init__(
        self,
        *,
        max_iter: int = 100,
        tol: float = 1e-5,
        init: str = "majority",
        smoothing: float = 0.0,
    ) -> None:
        self.max_iter = max_iter
        self.tol = tol
        self.init = init
        self.smoothing = smoothing

    def _check_params(self) -> None:
        check_positive_int("max_iter", self.max_iter)
        check_nonnegative("tol", self.tol)
        check_nonnegative("smoothing", self.smoothing)
        if self.init not in _INITS:
            raise ValueError(f"init must be one of {_INITS}, got {self.init!r}")

    def fit(self, ratings: Ratings) -> DawidSkene:
        """Run EM until the log-likelihood stops improving by ``tol``."""
        ratings = check_ratings(ratings)
        self._check_params()
        incidence = Incidence(ratings)
        posteriors = vote_shares(ratings)
        previous = -np.inf
        loglik = -np.inf
        n_iter = 0
        for n_iter in range(1, self.max_iter + 1):  # noqa: B007 - n_iter is reported
            priors, table = self._m_step(incidence, posteriors)
            posteriors, loglik = _e_step(incidence, priors, table, ratings.n_ratings)
            if loglik - previous < self.tol:
                break
            previous = loglik
        self.priors_ = priors
        k = ratings.n_categories
        self.confusions_ = np.exp(table).reshape(ratings.n_annotators, k, k).transpose(0, 2, 1)
        self.n_iter_ = n_iter
        self.log_likelihood_ = float(loglik)
        self._finish(ratings, posteriors)
        return self

    def _m_step(
        self, incidence: Incidence, posteriors: FloatArray
    ) -> tuple[FloatArray, FloatArray]:
        """Priors and the log confusion table ``(annotator * observed, true)``."""
        priors = np.maximum(posteriors.mean(axis=0), _EPS)
        counts = incidence.expected_counts(posteriors)  # (A, observed, true)
        if self.smoothing:
            counts += self.smoothing
        np.maximum(counts, _EPS, out=counts)
        counts /= counts.sum(axis=1, keepdims=True)
        return priors, np.log(counts).reshape(-1, counts.shape[2])


def _e_step(
    incidence: Incidence, priors: FloatArray, log_table: FloatArray, n_ratings: int
) -> tuple[FloatArray, float]:
    """Posteriors and the mean log-likelihood per rating under the given parameters."""
    log_scores = incidence.item_log_likelihood(log_table)
    log_scores += np.log(priors)
    posteriors, log_norm = row_softmax(log_scores)
    return posteriors, float(log_norm.sum() / n_ratings)


class OneCoinDawidSkene(DawidSkene):
    """Dawid–Skene with one accuracy per annotator ("one-coin" model).

    Source: Dawid & Skene (1979) restricted as in Y. Zhang, X. Chen, D. Zhou and
    M. I. Jordan, "Spectral Methods Meet EM: A Provably Optimal Algorithm for
    Crowdsourcing", JMLR 17, 2016 (the one-coin model), matching crowd-kit's
    ``OneCoinDawidSkene``.

    Annotator ``a`` is right with probability ``skills_[a]`` whatever the true class, and
    otherwise picks one of the other ``K - 1`` classes uniformly. Fewer parameters than the
    full model, so it is steadier when annotators have few labels each.

    How to read it: ``skills_[a]`` is the estimated accuracy of ``annotators_[a]``
    (``1/K`` ≈ guessing); ``confusions_`` is the implied annotators × true × observed
    matrix; ``probas_``, ``priors_`` as in :class:`DawidSkene`.

    Example:
        >>> from labelworks.stats import Ratings
        >>> r = Ratings.from_records([
        ...     ("x1", "a", 1), ("x1", "b", 1), ("x1", "c", 0),
        ...     ("x2", "a", 0), ("x2", "b", 0), ("x2", "c", 0),
        ...     ("x3", "a", 1), ("x3", "b", 1), ("x3", "c", 0),
        ... ])
        >>> m = OneCoinDawidSkene().fit(r)
        >>> m.labels_.to_dict()
        {'x1': 1, 'x2': 0, 'x3': 1}
        >>> bool(m.skills_[2] < m.skills_[0])  # c disagrees twice
        True
    """

    skills_: FloatArray

    def fit(self, ratings: Ratings) -> OneCoinDawidSkene:
        """Run EM with the one-coin M-step."""
        super().fit(ratings)
        diagonal = np.diagonal(self.confusions_, axis1=1, axis2=2)
        self.skills_ = diagonal[:, 0].copy()
        return self

    def _m_step(
        self, incidence: Incidence, posteriors: FloatArray
    ) -> tuple[FloatArray, FloatArray]:
        priors = np.maximum(posteriors.mean(axis=0), _EPS)
        k = posteriors.shape[1]
        counts = incidence.expected_counts(posteriors)  # (A, observed, true)
        correct = np.trace(counts, axis1=1, axis2=2) + self.smoothing
        skills = correct / (incidence.per_annotator + k * self.smoothing)
        wrong = (1.0 - skills) / max(k - 1, 1)
        table = np.broadcast_to(wrong[:, None, None], counts.shape).copy()
        table[:, np.arange(k), np.arange(k)] = skills[:, None]
        np.clip(table, _EPS, 1.0 - _EPS, out=table)
        return priors, np.log(table).reshape(-1, k)
