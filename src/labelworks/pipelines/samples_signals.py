"""Generated sensor time series and video frames for demos, with labelled events.

Like ``samples_media``: deterministic for a seed, no file I/O. Sensor series come as CSV
bytes; videos come as raw RGB frames, which the caller encodes with whatever video
library is installed (none is required).
"""

from __future__ import annotations

import io
import random
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from labelworks.pipelines.samples import Record
from labelworks.pipelines.samples_media import MediaSample

SENSOR_RATE = 50  # Hz
SENSOR_SECONDS = 20
SENSOR_COLUMNS = ("t", "accel_x", "accel_y", "accel_z")
SENSOR_LABELS = ("spike", "drift", "flatline")
SENSOR_MODEL = "threshold-detector"
_SPIKE_THRESHOLD = 3.5  # m/s² from the channel's median; drifts stay below it

VIDEO_WIDTH, VIDEO_HEIGHT = 320, 240
VIDEO_FPS = 10
VIDEO_LABELS = ("moving", "still", "empty")


def _events(rng: random.Random) -> list[dict[str, Any]]:
    """Two to four non-overlapping events, in hundredths of a second, at least 0.5 s apart."""
    lengths = {"spike": (0.1, 0.3), "drift": (3.0, 6.0), "flatline": (1.0, 3.0)}
    events: list[dict[str, Any]] = []
    for _ in range(rng.randint(2, 4)):
        label = rng.choice(SENSOR_LABELS)
        length = round(rng.uniform(*lengths[label]), 2)
        for _attempt in range(50):
            start = round(rng.uniform(0.5, SENSOR_SECONDS - 0.5 - length), 2)
            end = round(start + length, 2)
            if all(end + 0.5 <= e["start"] or e["end"] + 0.5 <= start for e in events):
                events.append({"start": start, "end": end, "label": label})
                break
    return sorted(events, key=lambda e: e["start"])


def _detect(t: NDArray[np.float64], data: NDArray[np.float64]) -> list[dict[str, Any]]:
    """A simple detector: spikes by distance from the median, flatlines by zero change."""
    step = 1 / SENSOR_RATE
    found: list[dict[str, Any]] = []
    far = np.abs(data - np.median(data, axis=0)).max(axis=1) > _SPIKE_THRESHOLD
    still = np.concatenate([[False], (np.diff(data, axis=0) == 0).all(axis=1)])
    for label, mask, shortest in (("spike", far, 1), ("flatline", still, 25)):
        index = np.flatnonzero(mask)
        if not len(index):
            continue
        breaks = np.flatnonzero(np.diff(index) > 2) + 1
        for run in np.split(index, breaks):
            if len(run) >= shortest:
                start, end = float(t[run[0]]), float(t[run[-1]]) + step
                found.append(
                    {"start": round(start, 2), "end": round(end, 2), "label": label, "score": 0.9}
                )
    return sorted(found, key=lambda e: e["start"])


def _series(
    rng: random.Random, gen: np.random.Generator, events: list[dict[str, Any]]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    count = SENSOR_RATE * SENSOR_SECONDS
    t = np.arange(count) / SENSOR_RATE
    cadence = rng.uniform(1.4, 2.2)  # steps per second of a walking wearer
    data = np.stack(
        [
            0.3 * np.sin(2 * np.pi * cadence * t),
            0.2 * np.sin(2 * np.pi * cadence * t + 1.0),
            9.81 + 0.4 * np.sin(4 * np.pi * cadence * t),
        ],
        axis=1,
    ) + gen.normal(0.0, 0.05, (count, 3))
    for event in events:
        lo = round(event["start"] * SENSOR_RATE)
        hi = round(event["end"] * SENSOR_RATE)
        channel = rng.randrange(3)
        if event["label"] == "spike":
            peak = rng.choice((-1, 1)) * rng.uniform(5.0, 8.0)
            data[lo:hi, channel] += peak * np.hanning(hi - lo + 2)[1:-1]
        elif event["label"] == "drift":
            data[lo:hi, channel] += np.linspace(0.0, rng.uniform(1.5, 2.5), hi - lo)
        else:
            data[lo:hi] = data[lo]
    return t, data


def sensor_series(n: int, seed: int = 31, pre_every: int = 2) -> list[MediaSample]:
    """``n`` accelerometer CSVs (``t,accel_x,accel_y,accel_z``, 50 Hz, 20 s) with events.

    Events are labelled spike, drift or flatline. Payload: ``{"timeseries":
    "sensors/0001.csv", "duration": 20.0, ...}``. Every ``pre_every``-th series has the
    ``threshold-detector`` model's segments, which find spikes and flatlines but not drifts.
    """
    rng = random.Random(seed)
    gen = np.random.default_rng(seed)
    out = []
    for i in range(1, n + 1):
        events = _events(rng)
        t, data = _series(rng, gen, events)
        buffer = io.BytesIO()
        np.savetxt(
            buffer,
            np.column_stack([t, data]),
            fmt=("%.2f", "%.4f", "%.4f", "%.4f"),
            delimiter=",",
            header=",".join(SENSOR_COLUMNS),
            comments="",
        )
        path = f"sensors/{i:04d}.csv"
        record: Record = {
            "external_id": f"series-{i:04d}",
            "payload": {
                "timeseries": path,
                "duration": float(SENSOR_SECONDS),
                "rate_hz": SENSOR_RATE,
                "channels": list(SENSOR_COLUMNS[1:]),
            },
            "metadata": {"source": "demo generator", "intended": events},
        }
        if pre_every and (i - 1) % pre_every == 0:
            record["pre_annotations"] = [
                {"model": SENSOR_MODEL, "score": 0.75, "value": {"events": _detect(t, data)}}
            ]
        out.append(MediaSample(record, {path: buffer.getvalue()}))
    return out


@dataclass(frozen=True, slots=True)
class VideoSample:
    """An import record and the raw frames (frames, height, width, RGB) of its video."""

    record: Record
    path: str
    frames: NDArray[np.uint8]


def video_clips(n: int, seed: int = 37, extension: str = "webm") -> list[VideoSample]:
    """``n`` 4-6 s clips of a ball that moves, stands still or is absent (the labels).

    Payload: ``{"video": "video/0001.webm", "duration": seconds}``; segments tile the clip.
    """
    rng = random.Random(seed)
    rows, cols = np.mgrid[0:VIDEO_HEIGHT, 0:VIDEO_WIDTH]
    out = []
    for i in range(1, n + 1):
        background = np.array([rng.randrange(40, 120) for _ in range(3)], dtype=np.uint8)
        colour = np.array([rng.randrange(160, 256) for _ in range(3)], dtype=np.uint8)
        radius = rng.randint(14, 28)
        x, y = float(VIDEO_WIDTH / 2), float(VIDEO_HEIGHT / 2)
        dx, dy = rng.uniform(-14, 14), rng.uniform(-10, 10)
        total = VIDEO_FPS * rng.randint(4, 6)
        frames = np.empty((total, VIDEO_HEIGHT, VIDEO_WIDTH, 3), dtype=np.uint8)
        segments: list[dict[str, Any]] = []
        frame = 0
        previous = ""
        while frame < total:
            label = rng.choice([k for k in VIDEO_LABELS if k != previous])
            length = min(rng.randint(8, 20), total - frame)
            if total - (frame + length) < 5:
                length = total - frame
            for f in range(frame, frame + length):
                frames[f] = background
                if label == "empty":
                    continue
                if label == "moving":
                    # Bounce off the edges so the ball stays whole on screen.
                    if not radius <= x + dx <= VIDEO_WIDTH - radius:
                        dx = -dx
                    if not radius <= y + dy <= VIDEO_HEIGHT - radius:
                        dy = -dy
                    x, y = x + dx, y + dy
                frames[f][(cols - x) ** 2 + (rows - y) ** 2 <= radius**2] = colour
            segments.append(
                {
                    "start": round(frame / VIDEO_FPS, 2),
                    "end": round((frame + length) / VIDEO_FPS, 2),
                    "label": label,
                }
            )
            frame += length
            previous = label
        path = f"video/{i:04d}.{extension}"
        record: Record = {
            "external_id": f"video-{i:04d}",
            "payload": {"video": path, "duration": round(total / VIDEO_FPS, 2)},
            "metadata": {"source": "demo generator", "intended": segments},
        }
        out.append(VideoSample(record, path, frames))
    return out
