"""Pure numerical core for quality statistics: agreement, aggregation, gold, ranking,
consistency and acceptance sampling.

Public modules: ``labelworks.stats.agreement`` (coefficients, bootstrap intervals,
breakdowns, structured-label F1), ``labelworks.stats.aggregation`` (estimators, gold
accuracy, Bradley–Terry and Elo), ``labelworks.stats.consistency`` (test–retest agreement
of annotators with themselves) and ``labelworks.stats.acceptance`` (sampling plans and lot
decisions). ``Ratings`` is the table the first three read.
"""

from labelworks.stats import acceptance, aggregation, agreement, consistency
from labelworks.stats.ratings import InvalidRatingsError, Ratings

__all__ = [
    "InvalidRatingsError",
    "Ratings",
    "acceptance",
    "aggregation",
    "agreement",
    "consistency",
]
