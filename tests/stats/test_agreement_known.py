"""Known answers from published worked examples."""

from __future__ import annotations

import pytest
from tests.stats.agreement_data import (
    GWET_4RATERS,
    KRIPPENDORFF_2011,
    SHROUT_FLEISS_1979,
    fleiss_1971,
    from_contingency,
)

from labelworks.stats import Ratings
from labelworks.stats.agreement import (
    brennan_prediger,
    cohen_kappa,
    conger_kappa,
    fleiss_kappa,
    gwet_ac1,
    icc,
    krippendorff_alpha,
    per_label_agreement,
    percent_agreement,
    scott_pi,
)
from labelworks.stats.icc import FORMS


def test_krippendorff_2011_all_levels() -> None:
    """Krippendorff (2011) 4 observers × 12 units: .743, .815, .849, .797."""
    r = Ratings.from_matrix(KRIPPENDORFF_2011)
    got = [
        round(krippendorff_alpha(r, lv), 3) for lv in ("nominal", "ordinal", "interval", "ratio")
    ]
    assert got == [0.743, 0.815, 0.849, 0.797]


def test_fleiss_1971_kappa_and_categories() -> None:
    """Fleiss (1971) 30 patients × 6 psychiatrists: κ = .430, per-category .245 … .566."""
    r = fleiss_1971()
    assert round(fleiss_kappa(r), 3) == 0.430
    per_label = {k: round(v, 3) for k, v in per_label_agreement(r).items()}
    assert per_label == {1: 0.245, 2: 0.245, 3: 0.520, 4: 0.471, 5: 0.566}


def test_shrout_fleiss_1979_table() -> None:
    """Shrout & Fleiss (1979) Table 4: .17 .29 .71 .44 .62 .91 for the six ICC forms."""
    r = Ratings.from_matrix(SHROUT_FLEISS_1979)
    assert [round(icc(r, f), 2) for f in FORMS] == [0.17, 0.29, 0.71, 0.44, 0.62, 0.91]


def test_gwet_4raters_irrcac_values() -> None:
    """Gwet (2014) 4 raters × 12 subjects, as printed by irrCAC: AC1 .77544, Fleiss .76117,
    Conger .76282, BP .77273, percent agreement .81818, Krippendorff .74342."""
    r = Ratings.from_matrix(GWET_4RATERS)
    got = {
        "ac1": round(gwet_ac1(r), 5),
        "fleiss": round(fleiss_kappa(r), 5),
        "conger": round(conger_kappa(r), 5),
        "bp": round(brennan_prediger(r), 5),
        "pa": round(percent_agreement(r), 5),
        "alpha": round(krippendorff_alpha(r), 5),
    }
    assert got == {
        "ac1": 0.77544,
        "fleiss": 0.76117,
        "conger": 0.76282,
        "bp": 0.77273,
        "pa": 0.81818,
        "alpha": 0.74342,
    }


def test_cohen_sas_example() -> None:
    """SAS PROC FREQ example (statsmodels' table10): κ = .4842, linear weighted κ = .4701."""
    r = from_contingency([[0, 4, 1], [0, 8, 0], [0, 1, 5]])
    assert [round(cohen_kappa(r), 4), round(cohen_kappa(r, weights="linear"), 4)] == [
        0.4842,
        0.4701,
    ]


def test_cohen_and_scott_textbook_two_by_two() -> None:
    """50 items, 20/5/10/15: p_o = .7, Cohen's κ = .4 (p_e = .5), Scott's π = .3939."""
    r = from_contingency([[20, 5], [10, 15]])
    assert [
        pytest.approx(percent_agreement(r)),
        pytest.approx(cohen_kappa(r)),
        round(scott_pi(r), 4),
    ] == [0.7, 0.4, 0.3939]
