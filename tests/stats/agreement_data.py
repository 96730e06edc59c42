"""Published worked examples shared by the agreement tests (data only)."""

from __future__ import annotations

from labelworks.stats import Ratings

# Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", section C:
# 4 observers (columns) × 12 units (rows), None = missing.
KRIPPENDORFF_2011 = [
    [1, 1, None, 1], [2, 2, 3, 2], [3, 3, 3, 3], [3, 3, 3, 3], [2, 2, 2, 2], [1, 2, 3, 4],
    [4, 4, 4, 4], [1, 1, 2, 1], [2, 2, 2, 2], [None, 5, 5, 5], [None, None, 1, 1],
    [None, None, 3, None],
]  # fmt: skip

# Fleiss (1971), "Measuring nominal scale agreement among many raters": 30 patients × 6
# psychiatrists, 1 Depression, 2 Personality disorder, 3 Schizophrenia, 4 Neurosis, 5 Other
# (as shipped in R's irr::diagnoses).
FLEISS_1971 = [
    "444444", "222555", "233335", "555555", "222444", "113333", "333355", "113334",
    "114444", "555555", "144444", "124444", "222333", "144444", "224445", "333335",
    "111455", "111112", "224444", "133555", "555555", "244444", "224555", "114444",
    "144445", "222224", "111155", "224444", "133333", "555555",
]  # fmt: skip

# Shrout & Fleiss (1979), Table 2: 6 targets × 4 judges.
SHROUT_FLEISS_1979 = [
    [9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8], [7, 1, 2, 6], [10, 5, 6, 9], [6, 2, 4, 7],
]  # fmt: skip

# Gwet (2014), Handbook of Inter-Rater Reliability, reuses the same table as his 4 raters ×
# 12 subjects example (irrCAC's raw_4raters).
GWET_4RATERS = KRIPPENDORFF_2011


def fleiss_1971() -> Ratings:
    return Ratings.from_matrix([[int(c) for c in row] for row in FLEISS_1971])


def from_contingency(table: list[list[int]]) -> Ratings:
    """Two raters from a contingency table: cell [i][j] items rated i by A and j by B."""
    records = []
    k = 0
    for i, row in enumerate(table):
        for j, n in enumerate(row):
            for _ in range(n):
                records += [(k, "A", i), (k, "B", j)]
                k += 1
    return Ratings.from_records(records, categories=list(range(len(table))))
