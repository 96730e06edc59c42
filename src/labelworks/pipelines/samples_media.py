"""Generated media samples for demos: shape images, audio clips, sensor series, video frames.

Generators are deterministic for their seed and return ``MediaSample``s: the import record
(payload paths are relative, e.g. ``images/0001.png``) and the bytes of each file it names.
Writing the files is the caller's job. Truth goes to ``metadata["intended"]``; some records
carry a jittered or partial copy of it as a model pre-annotation.
"""

from __future__ import annotations

import io
import random
import wave
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageDraw

from labelworks.pipelines.samples import Record

IMAGE_WIDTH, IMAGE_HEIGHT = 320, 240
SHAPES = ("circle", "square", "triangle")
SHAPE_MODEL = "shape-detector"
AUDIO_RATE = 16_000
AUDIO_LABELS = ("tone", "chirp", "noise", "silence")
SPEECH_AUDIO_LABELS = ("speech", "tone", "noise", "silence")
AUDIO_MODEL = "energy-detector"


@dataclass(frozen=True, slots=True)
class MediaSample:
    """An import record and the files (relative path -> bytes) its payload points to."""

    record: Record
    files: dict[str, bytes] = field(default_factory=dict)


def _colour(rng: random.Random) -> tuple[int, int, int]:
    return (rng.randrange(256), rng.randrange(256), rng.randrange(256))


def _far_colour(rng: random.Random, avoid: tuple[int, int, int]) -> tuple[int, int, int]:
    """A random colour that stands out against ``avoid`` (so every shape is visible)."""
    while True:
        colour = _colour(rng)
        if sum(abs(a - b) for a, b in zip(colour, avoid, strict=True)) > 240:
            return colour


def _background(rng: random.Random) -> tuple[Image.Image, tuple[int, int, int]]:
    """A plain, gradient or striped background and its average colour."""
    start, end = _colour(rng), _colour(rng)
    style = rng.choice(("plain", "vertical", "horizontal", "stripes"))
    if style == "plain":
        return Image.new("RGB", (IMAGE_WIDTH, IMAGE_HEIGHT), start), start
    # Colours vary along one axis only: build that line and stretch it (cheap to draw).
    across = style == "horizontal"
    # Annotated: numpy 2.4's stubs type the stripes' int * float as floating, not float64.
    steps: NDArray[np.floating[Any]] = np.linspace(
        0.0, 1.0, IMAGE_WIDTH if across else IMAGE_HEIGHT
    )
    if style == "stripes":
        steps = (np.arange(IMAGE_HEIGHT) // 16 % 2) * 0.4
    lo, hi = np.array(start, dtype=np.float64), np.array(end, dtype=np.float64)
    line = (lo + (hi - lo) * steps[:, None]).astype(np.uint8)
    strip = Image.fromarray(line[None, :, :] if across else line[:, None, :], "RGB")
    image = strip.resize((IMAGE_WIDTH, IMAGE_HEIGHT), Image.Resampling.NEAREST)
    mean = [int(v) for v in line.mean(axis=0)]
    return image, (mean[0], mean[1], mean[2])


def _place(rng: random.Random, taken: list[tuple[int, int, int, int]]) -> tuple[int, int, int]:
    """Top-left corner and side of a square slot clear of the ``taken`` ones (x, y, w, h)."""
    for _ in range(200):
        side = rng.randint(28, 84)
        x = rng.randint(0, IMAGE_WIDTH - side)
        y = rng.randint(0, IMAGE_HEIGHT - side)
        if all(
            x + side + 4 <= tx or tx + tw + 4 <= x or y + side + 4 <= ty or ty + th + 4 <= y
            for tx, ty, tw, th in taken
        ):
            return x, y, side
    raise RuntimeError("no room left for a shape")  # unreachable with at most 4 shapes


def _draw(
    draw: ImageDraw.ImageDraw, shape: str, x: int, y: int, side: int, rng: random.Random, fill: Any
) -> dict[str, Any]:
    """Draw one shape in its slot and return its exact bounding box."""
    right, bottom = x + side - 1, y + side - 1  # Pillow's end coordinates are inclusive
    if shape == "circle":
        draw.ellipse((x, y, right, bottom), fill=fill)
        box = (x, y, side, side)
    elif shape == "square":
        draw.rectangle((x, y, right, bottom), fill=fill)
        box = (x, y, side, side)
    else:
        apex = rng.randint(x, right)
        points = [(apex, y), (x, bottom), (right, bottom)]
        draw.polygon(points, fill=fill)
        box = (x, y, side, side)
    return {"x": box[0], "y": box[1], "width": box[2], "height": box[3], "label": shape}


def _jitter_boxes(rng: random.Random, boxes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The true boxes moved a few pixels (kept inside the image), one sometimes missed."""
    kept = [b for b in boxes if rng.random() > 0.15] or boxes[:1]
    out = []
    for b in kept:
        x = min(max(0, b["x"] + rng.randint(-3, 3)), IMAGE_WIDTH - 2)
        y = min(max(0, b["y"] + rng.randint(-3, 3)), IMAGE_HEIGHT - 2)
        width = min(max(1, b["width"] + rng.randint(-4, 4)), IMAGE_WIDTH - x)
        height = min(max(1, b["height"] + rng.randint(-4, 4)), IMAGE_HEIGHT - y)
        score = round(rng.uniform(0.55, 0.99), 2)
        out.append({**b, "x": x, "y": y, "width": width, "height": height, "score": score})
    return out


def shape_images(n: int, seed: int = 23, pre_every: int = 2) -> list[MediaSample]:
    """``n`` 320x240 PNGs of one to four circles, squares and triangles with true boxes.

    Payload: ``{"image": "images/0001.png", "width": 320, "height": 240}``. Every
    ``pre_every``-th image has the ``shape-detector`` model's (jittered) boxes.
    """
    rng = random.Random(seed)
    out = []
    for i in range(1, n + 1):
        image, average = _background(rng)
        draw = ImageDraw.Draw(image)
        boxes: list[dict[str, Any]] = []
        taken: list[tuple[int, int, int, int]] = []
        for _ in range(rng.randint(1, 4)):
            x, y, side = _place(rng, taken)
            taken.append((x, y, side, side))
            shape = rng.choice(SHAPES)
            boxes.append(_draw(draw, shape, x, y, side, rng, _far_colour(rng, average)))
        buffer = io.BytesIO()
        image.save(buffer, format="PNG", compress_level=1)  # speed over size for a demo
        path = f"images/{i:04d}.png"
        record: Record = {
            "external_id": f"image-{i:04d}",
            "payload": {"image": path, "width": IMAGE_WIDTH, "height": IMAGE_HEIGHT},
            "metadata": {"source": "demo generator", "intended": boxes},
        }
        if pre_every and (i - 1) % pre_every == 0:
            record["pre_annotations"] = [
                {
                    "model": SHAPE_MODEL,
                    "score": 0.8,
                    "value": {"objects": _jitter_boxes(rng, boxes)},
                }
            ]
        out.append(MediaSample(record, {path: buffer.getvalue()}))
    return out


def wav_bytes(samples: NDArray[np.float64], rate: int = AUDIO_RATE) -> bytes:
    """16-bit mono PCM WAV of ``samples`` in -1..1 (clipped)."""
    pcm = (np.clip(samples, -1.0, 1.0) * 32767).astype("<i2")
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(pcm.tobytes())
    return buffer.getvalue()


def _sound(
    kind: str, count: int, gen: np.random.Generator, voice: NDArray[np.float64] | None
) -> NDArray[np.float64]:
    t = np.arange(count) / AUDIO_RATE
    if kind == "tone":
        pitch = gen.uniform(220, 880)
        wave_ = 0.5 * np.sin(2 * np.pi * pitch * t) + 0.15 * np.sin(4 * np.pi * pitch * t)
    elif kind == "chirp":
        low, high = gen.uniform(200, 500), gen.uniform(1500, 3000)
        phase = 2 * np.pi * (low * t + (high - low) * t**2 / (2 * count / AUDIO_RATE))
        wave_ = 0.5 * np.sin(phase)
    elif kind == "noise":
        wave_ = gen.normal(0.0, 0.25, count)
    elif kind == "speech" and voice is not None:
        wave_ = np.zeros(count)
        wave_[: min(count, len(voice))] = voice[:count]
    else:
        return np.zeros(count)
    ramp = min(count // 2, AUDIO_RATE // 100)  # 10 ms fades: no clicks at the edges
    envelope = np.ones(count)
    envelope[:ramp] = np.linspace(0, 1, ramp)
    envelope[count - ramp :] = np.linspace(1, 0, ramp)
    return np.asarray(wave_ * envelope, dtype=np.float64)


def audio_clips(
    n: int,
    seed: int = 29,
    *,
    speech: Sequence[NDArray[np.float64]] = (),
    pre_every: int = 3,
) -> list[MediaSample]:
    """``n`` WAV clips (16 kHz mono, 6-10 s) of labelled tones, chirps, noise and silence.

    With ``speech`` (phrases already at 16 kHz, e.g. from espeak-ng) the clips hold speech
    instead of chirps and use ``SPEECH_AUDIO_LABELS``. Payload: ``{"audio":
    "audio/0001.wav", "duration": seconds}``; the segments tile the clip.
    """
    rng = random.Random(seed)
    gen = np.random.default_rng(seed)
    kinds = SPEECH_AUDIO_LABELS if speech else AUDIO_LABELS
    out = []
    for i in range(1, n + 1):
        duration = float(rng.randint(12, 20)) / 2  # 6.0 .. 10.0 s in half seconds
        pieces: list[NDArray[np.float64]] = []
        segments: list[dict[str, Any]] = []
        at = 0.0
        previous = ""
        while at < duration:
            kind = rng.choice([k for k in kinds if k != previous])
            voice = speech[rng.randrange(len(speech))] if kind == "speech" else None
            # Hundredths of a second: segment bounds are exact sample counts.
            length = round(rng.uniform(0.5, 2.0), 2)
            if voice is not None:
                length = max(0.5, min(3.0, round(len(voice) / AUDIO_RATE, 2)))
            if duration - (at + length) < 0.5:  # never leave a sliver at the end
                length = round(duration - at, 2)
            count = round(length * AUDIO_RATE)
            pieces.append(_sound(kind, count, gen, voice))
            segments.append({"start": at, "end": round(at + length, 2), "label": kind})
            at = round(at + length, 2)
            previous = kind
        signal = np.concatenate(pieces)
        signal = signal + gen.normal(0.0, 0.003, len(signal))  # a realistic noise floor
        path = f"audio/{i:04d}.wav"
        record: Record = {
            "external_id": f"clip-{i:04d}",
            "payload": {"audio": path, "duration": duration},
            "metadata": {"source": "demo generator", "intended": segments},
        }
        if pre_every and (i - 1) % pre_every == 0:
            # An energy detector hears everything but silence, with blurred edges.
            heard = [
                {
                    **s,
                    "start": max(0.0, round(s["start"] + rng.uniform(-0.05, 0.1), 2)),
                    "end": min(duration, round(s["end"] + rng.uniform(-0.1, 0.05), 2)),
                    "score": round(rng.uniform(0.6, 0.95), 2),
                }
                for s in segments
                if s["label"] != "silence"
            ]
            record["pre_annotations"] = [
                {"model": AUDIO_MODEL, "score": 0.7, "value": {"events": heard}}
            ]
        out.append(MediaSample(record, {path: wav_bytes(signal)}))
    return out
