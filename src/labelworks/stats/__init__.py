"""Pure numerical core for quality statistics: agreement, aggregation, gold, ranking."""

from labelworks.stats.ratings import InvalidRatingsError, Ratings

__all__ = ["InvalidRatingsError", "Ratings"]
