"""Label aggregation: turn several annotators' labels into one label per item.

Every aggregator follows the estimator contract (keyword hyperparameters, ``fit(ratings)``
returning ``self``, learned attributes ending in ``_``, ``fit_predict``). See
``docs/stats-aggregation.md`` for a guide to choosing one.
"""

from labelworks.stats.aggregation.dawid_skene import DawidSkene, OneCoinDawidSkene
from labelworks.stats.aggregation.estimator import Aggregator, ItemLabels
from labelworks.stats.aggregation.glad import GLAD
from labelworks.stats.aggregation.gold import GoldReport, gold_accuracy, wilson_interval
from labelworks.stats.aggregation.mace import MACE
from labelworks.stats.aggregation.majority import MajorityVote, Wawa
from labelworks.stats.aggregation.simulation import SimulatedCrowd, simulate_crowd
from labelworks.stats.ranking import BradleyTerry, Elo, RankedModel

__all__ = [
    "GLAD",
    "MACE",
    "Aggregator",
    "BradleyTerry",
    "DawidSkene",
    "Elo",
    "GoldReport",
    "ItemLabels",
    "MajorityVote",
    "OneCoinDawidSkene",
    "RankedModel",
    "SimulatedCrowd",
    "Wawa",
    "gold_accuracy",
    "simulate_crowd",
    "wilson_interval",
]
