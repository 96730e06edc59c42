"""The column-loop row reductions the aggregators use give numpy's own results, bit for bit."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from labelworks.stats.aggregation.estimator import row_argmax, row_max, row_sum

ROWS = st.integers(1, 12).flatmap(
    lambda k: arrays(
        np.float64,
        st.tuples(st.integers(0, 30), st.just(k)),
        elements=st.one_of(
            st.sampled_from([0.0, 0.5, 1.0, 1 / 3]),
            st.floats(-1e6, 1e6, allow_nan=False, allow_subnormal=True),
        ),
    )
)


@given(ROWS)
@settings(max_examples=300, deadline=None)
def test_row_reductions_equal_numpy(a: np.ndarray) -> None:
    """Sums, maxima and first-maximum positions per row equal a.sum/max/argmax(axis=1), ties
    and any number of columns included."""
    sums, maxima, positions = row_sum(a), row_max(a), row_argmax(a)
    assert (sums.tobytes(), maxima.tobytes(), positions.tolist()) == (
        a.sum(axis=1).tobytes(),
        a.max(axis=1).tobytes(),
        a.argmax(axis=1).tolist(),
    )
