"""Audio: duration, sample rate, channels and waveform peaks for the labeling page.

PCM WAV is read with the standard library's ``wave``; anything else (MP3, Ogg, FLAC, float
or extensible WAV …) through PyAV when the ``video`` extra is installed. Peaks are
``PEAK_PAIRS`` [min, max] pairs over all channels, scaled to -1…1, stored as a small JSON
file ``{"duration", "sample_rate", "channels", "peaks"}`` the segments widget draws instead
of decoding the whole file in the browser.
"""

from __future__ import annotations

import io
import json
import wave
from typing import Any

import numpy as np
from numpy.typing import NDArray

from labelworks.pipelines.media_probe import Probed, UnreadableMedia

PEAK_PAIRS = 1000
Samples = NDArray[Any]  # frames × channels (or planar chunks) of floats in -1…1
NEEDS_AV = "needs labelworks[video] (PyAV) to read this audio format; PCM WAV works without it"


def probe_audio(data: bytes, name: str = "") -> Probed:
    """Probe one audio file; a WAV whose header promises more audio than it holds is refused."""
    if not data:
        raise UnreadableMedia("the file is empty")
    if data[:4] == b"RIFF" and data[8:12] == b"WAVE":
        try:
            samples, rate, codec = _read_wav(data)
        except _NotPcm as exc:
            samples, rate, codec = _read_av(data, exc.reason)
    else:
        samples, rate, codec = _read_av(data, "not a WAV file")
    frames, channels = samples.shape
    duration = frames / rate
    facts: dict[str, Any] = {
        "kind": "audio",
        "codec": codec,
        "duration": round(duration, 3),
        "sample_rate": rate,
        "channels": channels,
    }
    document = {
        "duration": round(duration, 6),
        "sample_rate": rate,
        "channels": channels,
        "peaks": peaks(samples),
    }
    return Probed(facts, {"peaks": json.dumps(document, separators=(",", ":")).encode()})


class _NotPcm(Exception):
    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


def _read_wav(data: bytes) -> tuple[Samples, int, str]:
    try:
        with wave.open(io.BytesIO(data), "rb") as reader:
            channels = reader.getnchannels()
            width = reader.getsampwidth()
            rate = reader.getframerate()
            declared = reader.getnframes()
            raw = reader.readframes(declared)
    except wave.Error as exc:
        raise _NotPcm(f"WAV: {exc}") from None
    except EOFError:
        raise UnreadableMedia("truncated WAV: the file ends inside its header") from None
    if channels < 1 or rate < 1 or width not in (1, 2, 3, 4):
        raise UnreadableMedia(f"WAV header is invalid ({channels} channels, {rate} Hz)")
    frame_bytes = channels * width
    if len(raw) < declared * frame_bytes:
        raise UnreadableMedia(
            f"truncated WAV: the header declares {declared * frame_bytes:,} bytes of audio "
            f"({declared:,} frames), the file holds {len(raw):,}"
        )
    return (
        _pcm(raw[: declared * frame_bytes], width).reshape(-1, channels),
        rate,
        f"pcm_{width * 8}",
    )


def _pcm(raw: bytes, width: int) -> Samples:
    if width == 1:
        return (np.frombuffer(raw, dtype=np.uint8).astype(np.float32) - 128) / 128
    if width == 3:
        triples = np.frombuffer(raw, dtype=np.uint8).reshape(-1, 3).astype(np.int32)
        value = triples[:, 0] | (triples[:, 1] << 8) | (triples[:, 2] << 16)
        value = np.where(value >= 1 << 23, value - (1 << 24), value)
        return value.astype(np.float32) / (1 << 23)
    kind = np.dtype("<i2") if width == 2 else np.dtype("<i4")
    scale = float(1 << (8 * width - 1))
    return np.frombuffer(raw, dtype=kind).astype(np.float32) / scale


def _read_av(data: bytes, why: str) -> tuple[Samples, int, str]:
    try:
        import av
    except ImportError:
        raise UnreadableMedia(f"{why}: {NEEDS_AV}") from None
    try:
        with av.open(io.BytesIO(data), mode="r") as container:
            if not container.streams.audio:
                raise UnreadableMedia("no audio stream in the file")
            stream = container.streams.audio[0]
            codec = stream.codec_context.name
            rate = stream.codec_context.sample_rate or stream.rate
            resampler = av.AudioResampler(format="fltp", layout=stream.layout, rate=rate)
            chunks: list[Samples] = []
            for frame in container.decode(stream):
                for out in resampler.resample(frame):
                    chunks.append(out.to_ndarray())
            for out in resampler.resample(None):
                chunks.append(out.to_ndarray())
    except UnreadableMedia:
        raise
    except (av.FFmpegError, ValueError, OSError) as exc:
        raise UnreadableMedia(f"not an audio file FFmpeg can decode: {exc}") from None
    if not chunks or not rate:
        raise UnreadableMedia("the audio stream holds no samples")
    planar = np.concatenate(chunks, axis=1).astype(np.float32)
    return np.ascontiguousarray(planar.T), int(rate), codec


def peaks(samples: Samples, pairs: int = PEAK_PAIRS) -> list[list[float]]:
    """``pairs`` [min, max] pairs over equal runs of frames (all channels), rounded to 4
    decimals; one pair per frame when there are fewer frames than pairs."""
    frames = samples.shape[0]
    if frames == 0:
        return []
    mono_low = samples.min(axis=1)
    mono_high = samples.max(axis=1)
    count = min(pairs, frames)
    starts = (np.arange(count) * frames) // count
    low = np.minimum.reduceat(mono_low, starts)
    high = np.maximum.reduceat(mono_high, starts)
    low = np.clip(np.round(low.astype(np.float64), 4), -1, 1)
    high = np.clip(np.round(high.astype(np.float64), 4), -1, 1)
    return [[float(a), float(b)] for a, b in zip(low, high, strict=True)]
