"""Pure numerical core for quality statistics: agreement, aggregation, gold, ranking.

Public modules: ``labelworks.stats.agreement`` (coefficients, bootstrap intervals,
breakdowns, structured-label F1) and ``labelworks.stats.aggregation`` (estimators, gold
accuracy, Bradley–Terry and Elo). ``Ratings`` is the table they all read.
"""

from labelworks.stats import aggregation, agreement
from labelworks.stats.ratings import InvalidRatingsError, Ratings

__all__ = ["InvalidRatingsError", "Ratings", "aggregation", "agreement"]
