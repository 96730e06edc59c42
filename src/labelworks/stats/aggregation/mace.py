"""MACE (Hovy et al., 2013): which annotators are spamming, fitted by EM or variational Bayes."""

from __future__ import annotations

import numpy as np
from scipy.special import digamma

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

_EPS = 1e-10
_METHODS = ("vb", "em")
_INITS = ("majority", "random")


class MACE(Aggregator):
    """Multi-Annotator Competence Estimation.

    Source: D. Hovy, T. Berg-Kirkpatrick, A. Vaswani and E. Hovy, "Learning Whom to Trust
    with MACE", NAACL-HLT 2013, 1120–1130; defaults as in the authors' tool and crowd-kit.

    On every item an annotator either knows the answer (probability ``competence_[a]``)
    and reports the truth, or spams and draws a label from their own strategy distribution
    ``strategies_[a]``. True labels are uniform a priori. With ``method="vb"`` (default)
    the M-step is variational Bayes with Beta(``alpha``, ``beta``) priors on the spamming
    probability and a symmetric Dirichlet(10) prior on strategies, which pulls rarely-seen
    annotators towards "uninformative"; ``method="em"`` is plain EM with light smoothing.

    The model is a Dawid–Skene model whose confusion rows are
    ``competence * onehot(true) + (1 - competence) * strategy``, so each EM round is the
    same two sparse products over the ratings (see ``incidence``), not a per-item loop.

    How to read it: ``competence_[a]`` near 1 = trustworthy, near 0 = spammer (whatever
    their raw agreement); ``strategies_[a]`` shows what a spammer tends to click;
    ``probas_`` is the posterior of the true label per item.

    Args:
        n_restarts: random restarts when ``init="random"`` (the best log-likelihood wins).
        max_iter: EM rounds per run; ``tol`` stops a run early when the mean per-rating
            log-likelihood changes by less than it.
        method: ``"vb"`` or ``"em"``.
        init: ``"majority"`` (start from vote shares: deterministic, one run) or
            ``"random"`` (Hovy's random restarts, seeded by ``seed``).
        alpha, beta: Beta prior on (spamming, knowing) for ``"vb"``.
        smoothing: added to expected counts for ``"em"``; default ``0.01 / K``.

    Learned attributes: labels_, probas_, competence_ (probability of knowing; under
    ``"vb"`` the variational exp-digamma estimate), strategies_ (annotators × categories,
    rows sum to 1), confusions_ (annotators × true × observed, rows sum to 1), n_iter_,
    log_likelihood_ (mean per rating).

    Example:
        >>> from labelworks.stats import Ratings
        >>> r = Ratings.from_records([
        ...     ("x1", "a", "yes"), ("x1", "b", "yes"), ("x1", "c", "no"),
        ...     ("x2", "a", "no"), ("x2", "b", "no"), ("x2", "c", "no"),
        ...     ("x3", "a", "yes"), ("x3", "b", "yes"), ("x3", "c", "no"),
        ... ])
        >>> m = MACE().fit(r)
        >>> m.labels_.to_dict()
        {'x1': 'yes', 'x2': 'no', 'x3': 'yes'}
        >>> bool(m.competence_[2] < m.competence_[0])  # c always answers "no"
        True
    """

    competence_: FloatArray
    strategies_: FloatArray
    confusions_: FloatArray
    n_iter_: int
    log_likelihood_: float

    def __init__(
        self,
        *,
        n_restarts: int = 10,
        max_iter: int = 50,
        tol: float = 1e-6,
        method: str = "vb",
        init: str = "majority",
        alpha: float = 0.5,
        beta: float = 0.5,
        smoothing: float | None = None,
        seed: int | None = 0,
    ) -> None:
        self.n_restarts = n_restarts
        self.max_iter = max_iter
        self.tol = tol
        self.method = method
        self.init = init
        self.alpha = alpha
        self.beta = beta
        self.smoothing = smoothing
        self.seed = seed

    def _check_params(self) -> None:
        check_positive_int("n_restarts", self.n_restarts)
        check_positive_int("max_iter", self.max_iter)
        check_nonnegative("tol", self.tol)
        if self.method not in _METHODS:
            raise ValueError(f"method must be one of {_METHODS}, got {self.method!r}")
        if self.init not in _INITS:
            raise ValueError(f"init must be one of {_INITS}, got {self.init!r}")
        for name in ("alpha", "beta"):
            value = getattr(self, name)
            if not np.isfinite(value) or value <= 0:
                raise ValueError(f"{name} must be a finite number > 0, got {value!r}")
        if self.smoothing is not None:
            check_nonnegative("smoothing", self.smoothing)

    def fit(self, ratings: Ratings) -> MACE:
        """Run one deterministic EM from vote shares, or the best of random restarts."""
        ratings = check_ratings(ratings)
        self._check_params()
        incidence = Incidence(ratings)
        k = ratings.n_categories
        best: tuple[float, FloatArray, FloatArray, FloatArray, int] | None = None
        if self.init == "majority":
            knowing, strategy = self._m_step(incidence, vote_shares(ratings), None)
            starts = [(knowing, strategy)]
        else:
            rng = np.random.default_rng(self.seed)
            starts = []
            for _ in range(self.n_restarts):
                # Hovy's initialisation: uniform(1, 1.5)-ish draws, normalised.
                spam = rng.uniform(1.0, 1.5, size=(ratings.n_annotators, 2))
                strat = rng.uniform(1.0, 1.5, size=(ratings.n_annotators, k))
                starts.append(
                    (spam[:, 1] / spam.sum(axis=1), strat / strat.sum(axis=1, keepdims=True))
                )
        for knowing, strategy in starts:
            run = self._run(incidence, knowing, strategy, ratings.n_ratings)
            if best is None or run[0] > best[0]:
                best = run
        assert best is not None
        loglik, posteriors, knowing, strategy, n_iter = best
        # Variational Bayes leaves its estimates sub-normalised (exp-digamma); report
        # proper distributions.
        self.competence_ = knowing
        self.strategies_ = strategy / strategy.sum(axis=1, keepdims=True)
        confusions = _confusions(knowing, strategy)
        self.confusions_ = confusions / confusions.sum(axis=2, keepdims=True)
        self.n_iter_ = n_iter
        self.log_likelihood_ = loglik
        self._finish(ratings, posteriors)
        return self

    def _run(
        self, incidence: Incidence, knowing: FloatArray, strategy: FloatArray, n_ratings: int
    ) -> tuple[float, FloatArray, FloatArray, FloatArray, int]:
        previous = -np.inf
        k = strategy.shape[1]
        log_prior = -np.log(k)
        n_iter = 0
        loglik = -np.inf
        for n_iter in range(1, self.max_iter + 1):  # noqa: B007 - n_iter is reported
            table = _confusions(knowing, strategy).transpose(0, 2, 1)  # (A, observed, true)
            log_scores = incidence.item_log_likelihood(
                np.log(np.maximum(table, _EPS)).reshape(-1, k)
            )
            log_scores += log_prior
            posteriors, log_norm = row_softmax(log_scores)
            loglik = float(log_norm.sum()) / n_ratings
            if abs(loglik - previous) < self.tol:
                break
            previous = loglik
            knowing, strategy = self._m_step(incidence, posteriors, (knowing, strategy))
        return loglik, posteriors, knowing, strategy, n_iter

    def _m_step(
        self,
        incidence: Incidence,
        posteriors: FloatArray,
        params: tuple[FloatArray, FloatArray] | None,
    ) -> tuple[FloatArray, FloatArray]:
        """Expected spamming/knowing counts per annotator and strategy counts per label.

        For a rating (a, l) on an item whose posterior gives ``t = P(z = l)``, the chance
        the annotator was *not* spamming is ``t * s1 / (s1 + s0 * xi[l])`` (only a true
        ``l`` can come from knowing). ``params=None`` (initialisation from vote shares)
        treats every rating that matches the posterior as known.
        """
        a, k = incidence.n_annotators, posteriors.shape[1]
        counts = incidence.expected_counts(posteriors)  # (A, observed, true)
        matched = np.diagonal(counts, axis1=1, axis2=2)  # sum of P(z = l) per (a, l)
        if params is None:
            knowing_share = np.ones((a, k))
        else:
            knowing, strategy = params
            spam_mass = (1.0 - knowing)[:, None] * strategy
            knowing_share = knowing[:, None] / (knowing[:, None] + spam_mass)
        known = matched * knowing_share
        spam_counts = incidence.pair_counts.reshape(a, k) - known
        known_total = known.sum(axis=1)
        spam_total = spam_counts.sum(axis=1)
        if self.method == "vb":
            norm = np.exp(digamma(known_total + spam_total + self.alpha + self.beta))
            new_knowing = np.exp(digamma(known_total + self.beta)) / norm
            strat_prior = 10.0
            strategy_new = (
                np.exp(digamma(spam_counts + strat_prior))
                / np.exp(digamma(spam_total + k * strat_prior))[:, None]
            )
        else:
            smooth = 0.01 / k if self.smoothing is None else self.smoothing
            new_knowing = (known_total + smooth) / (known_total + spam_total + 2 * smooth)
            strategy_new = (spam_counts + smooth) / (spam_total + k * smooth)[:, None]
        return new_knowing, strategy_new


def _confusions(knowing: FloatArray, strategy: FloatArray) -> FloatArray:
    """annotators × true × observed: ``knowing * onehot(true) + (1 - knowing) * strategy``."""
    k = strategy.shape[1]
    out = np.broadcast_to(((1.0 - knowing)[:, None] * strategy)[:, None, :], (len(knowing), k, k))
    out = out.copy()
    out[:, np.arange(k), np.arange(k)] += knowing[:, None]
    return out
