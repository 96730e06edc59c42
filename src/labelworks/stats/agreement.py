"""Inter-annotator agreement: the public API of ``labelworks.stats.agreement``.

Every coefficient takes a :class:`~labelworks.stats.Ratings` first and returns a float
(NaN when undefined, e.g. every rating is the same category). Bad input raises
:class:`~labelworks.stats.InvalidRatingsError`. See docs/stats-agreement.md.
"""

from labelworks.stats.bootstrap import bootstrap_ci
from labelworks.stats.chance import (
    brennan_prediger,
    cohen_kappa,
    conger_kappa,
    fleiss_kappa,
    gwet_ac1,
    gwet_ac2,
    percent_agreement,
    scott_pi,
)
from labelworks.stats.disagreement import (
    DisagreementMatrix,
    disagreement_matrix,
    item_agreement,
    per_label_agreement,
)
from labelworks.stats.icc import icc
from labelworks.stats.krippendorff import coincidence_matrix, krippendorff_alpha
from labelworks.stats.pairwise import PairwiseAgreement, pairwise_matrix
from labelworks.stats.ratings import InvalidRatingsError, Ratings
from labelworks.stats.structured import (
    StructuredAgreement,
    box_agreement,
    segment_agreement,
    span_agreement,
)
from labelworks.stats.weights import weight_matrix

__all__ = [
    "DisagreementMatrix",
    "InvalidRatingsError",
    "PairwiseAgreement",
    "Ratings",
    "StructuredAgreement",
    "bootstrap_ci",
    "box_agreement",
    "brennan_prediger",
    "cohen_kappa",
    "coincidence_matrix",
    "conger_kappa",
    "disagreement_matrix",
    "fleiss_kappa",
    "gwet_ac1",
    "gwet_ac2",
    "icc",
    "item_agreement",
    "krippendorff_alpha",
    "pairwise_matrix",
    "per_label_agreement",
    "percent_agreement",
    "scott_pi",
    "segment_agreement",
    "span_agreement",
    "weight_matrix",
]
