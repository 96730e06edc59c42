"""Time-series probing: channels, length, span and the LTTB display copy in the widget's
CSV form, for CSV and JSON columns; and refusal of series the widget could not draw."""

from __future__ import annotations

import csv
import io
import json

import numpy as np
import pytest

from labelworks.pipelines.media_probe import UnreadableMedia, probe
from labelworks.pipelines.series_probe import DISPLAY_POINTS


def _csv(n: int) -> bytes:
    t = np.arange(n) / 50
    rows = ["t,x,y"] + [f"{a},{np.sin(a)},{np.cos(3 * a)}" for a in t]
    return ("\n".join(rows) + "\n").encode()


def test_a_long_csv_gets_a_display_copy_with_first_and_last_rows() -> None:
    """20,000 rows: facts, and a display copy of at most two channels' picks."""
    result = probe("timeseries", _csv(20_000), "s.csv")
    rows = list(csv.reader(io.StringIO(result.files["series"].decode())))
    facts = result.facts
    assert (
        {k: v for k, v in facts.items() if k != "display_points"},
        rows[0],
        DISPLAY_POINTS <= facts["display_points"] <= 2 * DISPLAY_POINTS,
        len(rows) - 1 == facts["display_points"],
        rows[1][0],
        rows[-1][0],
    ) == (
        {
            "kind": "timeseries",
            "channels": ["x", "y"],
            "length": 20_000,
            "start": 0.0,
            "duration": 399.98,
        },
        ["t", "x", "y"],
        True,
        True,
        "0.0",
        "399.98",
    )


def test_a_short_series_is_kept_whole_with_gaps_as_empty_cells() -> None:
    """Fewer rows than the display size: every row, a missing value stays empty."""
    result = probe("timeseries", b"time,a\n0,1\n0.5,\n1,3\n", "s.csv")
    assert (result.facts, result.files["series"].decode()) == (
        {
            "kind": "timeseries",
            "channels": ["a"],
            "length": 3,
            "start": 0.0,
            "duration": 1.0,
            "display_points": 3,
        },
        "t,a\n0.0,1.0\n0.5,\n1.0,3.0\n",
    )


def test_a_tab_separated_series_reads_as_its_csv() -> None:
    """A .tsv (a header with tabs and no commas) gives the facts and display copy of the
    same series written with commas."""
    tsv = probe("timeseries", b"time\ta\tb\n0\t1\t2\n0.5\t\t4\n1\t3\t6\n", "s.tsv")
    comma = probe("timeseries", b"time,a,b\n0,1,2\n0.5,,4\n1,3,6\n", "s.csv")
    assert (tsv.facts, tsv.files) == (comma.facts, comma.files)
    assert tsv.facts["channels"] == ["a", "b"]


def test_json_columns_are_read_like_csv() -> None:
    """An object of equal arrays, time first."""
    document = {"t": [0, 1, 2], "v": [5, None, 7]}
    result = probe("timeseries", json.dumps(document).encode(), "s.json")
    assert (result.facts["channels"], result.facts["length"], result.files["series"].decode()) == (
        ["v"],
        3,
        "t,v\n0.0,5.0\n1.0,\n2.0,7.0\n",
    )


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "the file is empty"),
        (b"\xff\xfe\x00bad", "not UTF-8 text (byte 0)"),
        (b"t\n0\n1\n", "no channels: the first column is the time, channels follow"),
        (b"t,a\n", "no samples after the header"),
        (b"t,a\n0,1\nnoon,2\n", "line 3: the time 'noon' is not a number"),
        (b"t,a\n0,1\n1,2,3\n", "line 3: 3 cells, the header has 2"),
        (b"t,a\n2,1\n1,2\n", "times go backwards at sample 2"),
        (b'{"t": [0, 1], "a": [1]}', "columns differ in length: [1, 2]"),
        (b'{"t": "x", "a": [1]}', "column 't' is not an array"),
        (
            b"{bad",
            "not valid JSON: Expecting property name enclosed in double quotes: "
            "line 1 column 2 (char 1)",
        ),
    ],
)
def test_series_the_widget_cannot_draw_are_refused(data: bytes, reason: str) -> None:
    """Each broken series is refused with a reason naming line or column."""
    with pytest.raises(UnreadableMedia) as caught:
        probe("timeseries", data, "s.csv")
    assert caught.value.reason == reason
