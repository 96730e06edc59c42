"""Time series as the segments widget reads them: a CSV whose first column is the time in
seconds and whose other columns are channels (``t,accel_x,accel_y``), or the same columns
as a JSON object of equal-length arrays (``{"t": [...], "accel_x": [...]}``).

The probe reports the channels, the number of samples and the time span, and writes a
display copy of at most ``DISPLAY_POINTS`` rows per channel chosen by LTTB (the union of
each channel's picks, so every channel keeps its peaks) in the widget's CSV form.
"""

from __future__ import annotations

import csv
import io
import json
import math
from typing import Any

import numpy as np
from numpy.typing import NDArray

from labelworks.pipelines.lttb import lttb_indices
from labelworks.pipelines.media_probe import Probed, UnreadableMedia

DISPLAY_POINTS = 2000  # per channel; the widget draws one canvas a few thousand pixels wide
MAX_CHANNELS = 64


def probe_series(data: bytes, name: str = "") -> Probed:
    """Channels, length and time span of a series, and its downsampled display copy."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UnreadableMedia(f"not UTF-8 text (byte {exc.start})") from None
    stripped = text.lstrip()
    if not stripped:
        raise UnreadableMedia("the file is empty")
    if name.lower().endswith(".json") or stripped.startswith("{"):
        times, columns = _from_json(text)
    else:
        times, columns = _from_csv(text)
    if len(times) == 0:
        raise UnreadableMedia("no samples after the header")
    if np.any(np.diff(times) < 0):
        first = int(np.argmax(np.diff(times) < 0)) + 1
        raise UnreadableMedia(f"times go backwards at sample {first + 1}")
    facts: dict[str, Any] = {
        "kind": "timeseries",
        "channels": list(columns),
        "length": len(times),
        "start": float(times[0]),
        "duration": round(float(times[-1] - times[0]), 6),
    }
    keep = display_indices(times, columns, DISPLAY_POINTS)
    facts["display_points"] = len(keep)
    return Probed(facts, {"series": series_csv(times, columns, keep)})


def display_indices(
    times: NDArray[np.float64], columns: dict[str, NDArray[np.float64]], n: int
) -> NDArray[np.intp]:
    """The rows the display copy keeps: each channel's LTTB picks, merged."""
    if len(times) <= n:
        return np.arange(len(times), dtype=np.intp)
    picks = [lttb_indices(times, values, n) for values in columns.values()]
    return np.unique(np.concatenate(picks)) if picks else lttb_indices(times, times, n)


def series_csv(
    times: NDArray[np.float64], columns: dict[str, NDArray[np.float64]], rows: NDArray[np.intp]
) -> bytes:
    """The chosen rows as the widget's CSV (empty cells for missing values)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["t", *columns])
    for i in rows:
        writer.writerow([_cell(times[i]), *(_cell(v[i]) for v in columns.values())])
    return out.getvalue().encode()


def _cell(value: float) -> str:
    return "" if not math.isfinite(value) else repr(float(value))


def _number(cell: str) -> float:
    cell = cell.strip()
    if not cell:
        return math.nan
    try:
        return float(cell)
    except ValueError:
        return math.nan


def delimiter_of(text: str) -> str:
    """Tab for a tab-separated file (its header has tabs and no commas), else comma."""
    header = text.lstrip().split("\n", 1)[0]
    return "\t" if "\t" in header and "," not in header else ","


def _from_csv(text: str) -> tuple[NDArray[np.float64], dict[str, NDArray[np.float64]]]:
    reader = csv.reader(io.StringIO(text), delimiter=delimiter_of(text))
    try:
        header = [cell.strip() for cell in next(reader)]
    except (StopIteration, csv.Error) as exc:
        raise UnreadableMedia(f"no CSV header: {exc}") from None
    names = header[1:]
    _check_names(names)
    times: list[float] = []
    values: list[list[float]] = [[] for _ in names]
    try:
        for row in reader:
            if not row or not any(cell.strip() for cell in row):
                continue
            line = reader.line_num
            t = _number(row[0])
            if not math.isfinite(t):
                raise UnreadableMedia(f"line {line}: the time {row[0][:40]!r} is not a number")
            if len(row) > len(header):
                raise UnreadableMedia(
                    f"line {line}: {len(row)} cells, the header has {len(header)}"
                )
            times.append(t)
            for k in range(len(names)):
                values[k].append(_number(row[k + 1]) if k + 1 < len(row) else math.nan)
    except csv.Error as exc:
        raise UnreadableMedia(f"line {reader.line_num}: {exc}") from None
    columns = {n: np.asarray(v, dtype=np.float64) for n, v in zip(names, values, strict=True)}
    return np.asarray(times, dtype=np.float64), columns


def _from_json(text: str) -> tuple[NDArray[np.float64], dict[str, NDArray[np.float64]]]:
    try:
        document = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise UnreadableMedia(f"not valid JSON: {exc}") from None
    if not isinstance(document, dict) or not document:
        raise UnreadableMedia("JSON series must be an object of columns, time first")
    keys = list(document)
    _check_names(keys[1:])
    arrays: list[NDArray[np.float64]] = []
    for key in keys:
        column = document[key]
        if not isinstance(column, list):
            raise UnreadableMedia(f"column {key[:60]!r} is not an array")
        cells = [
            v if isinstance(v, int | float) and not isinstance(v, bool) else None for v in column
        ]
        arrays.append(np.asarray([math.nan if v is None else v for v in cells], dtype=np.float64))
    lengths = {len(a) for a in arrays}
    if len(lengths) != 1:
        raise UnreadableMedia(f"columns differ in length: {sorted(lengths)}")
    if not np.all(np.isfinite(arrays[0])):
        raise UnreadableMedia(f"the time column {keys[0][:60]!r} has a value that is not a number")
    return arrays[0], dict(zip(keys[1:], arrays[1:], strict=True))


def _check_names(names: list[str]) -> None:
    if not names:
        raise UnreadableMedia("no channels: the first column is the time, channels follow")
    if len(names) > MAX_CHANNELS:
        raise UnreadableMedia(f"{len(names)} channels; at most {MAX_CHANNELS} are drawn")
