"""Demo projects with media: shape images, audio clips, sensor series and (maybe) video.

What this machine can make decides part of the demo: speech needs ``espeak-ng`` on the
PATH, video needs PyAV (``av``) or ``imageio-ffmpeg``. Neither is required; without them
the audio demo uses tones and chirps and the video demo is skipped with a reason.
NumPy, Pillow and the video libraries are imported only when media are generated, so
other CLI commands do not pay for them.
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
import io
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from labelworks.pipelines.samples import Record

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

    Frames = NDArray[np.uint8]
    Encoder = Callable[[Frames, int], bytes]

# Spoken phrases for the audio demo when espeak-ng is there; synthesised once, reused.
SPEECH_PHRASES = (
    "Please confirm the delivery address.",
    "The meeting moved to Thursday afternoon.",
    "Turn left at the next junction.",
    "Your order has shipped.",
)


@dataclass(frozen=True, slots=True)
class DemoContent:
    """A demo project's spec, guidelines, import records and media files."""

    spec: dict[str, Any]
    guidelines: str
    records: list[Record]
    files: dict[str, bytes] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Unavailable:
    """Why this machine cannot make a demo project's media."""

    reason: str


Builder = Callable[[int], DemoContent | Unavailable]


def project_spec(
    name: str, description: str, fields: list[dict[str, Any]], overlap: int
) -> dict[str, Any]:
    """A demo project's spec document with the settings every demo shares."""
    return {
        "name": name,
        "description": description,
        "fields": fields,
        "overlap": overlap,
        "lease_minutes": 30,
        "guidelines_changelog": "first version",
    }


def _segments_field(media: str, labels: Sequence[str]) -> dict[str, Any]:
    return {
        "name": "events",
        "kind": "segments",
        "media": media,
        "labels": list(labels),
        "duration_key": "duration",
    }


def _boxes(n: int) -> DemoContent:
    from labelworks.pipelines import samples_media

    spec = project_spec(
        "boxes-demo",
        "Shapes in generated images (demo data)",
        [
            {
                "name": "objects",
                "kind": "boxes",
                "labels": list(samples_media.SHAPES),
                "source": "image",
                "width_key": "width",
                "height_key": "height",
            }
        ],
        1,
    )
    guidelines = (
        "# Shapes\n\nDraw one tight box around every circle, square and triangle, touching "
        "its outermost pixels. Suggested boxes from `shape-detector` are a few pixels off "
        "and sometimes miss a shape: fix them.\n"
    )
    made = samples_media.shape_images(n)
    return DemoContent(
        spec, guidelines, [m.record for m in made], {p: b for m in made for p, b in m.files.items()}
    )


def _speech() -> list[NDArray[np.float64]]:
    """The phrases spoken by espeak-ng at 16 kHz, or none when it is missing or fails."""
    import numpy as np

    from labelworks.pipelines.samples_media import AUDIO_RATE

    exe = shutil.which("espeak-ng")
    if exe is None:
        return []
    # All at once: each run mostly waits on process start-up.
    runs = [
        subprocess.Popen(
            [exe, "--stdout", "-s", "165", phrase],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        for phrase in SPEECH_PHRASES
    ]
    voices = []
    for run in runs:
        try:
            data, _ = run.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            run.kill()
            run.communicate()
            return []
        start = data.find(b"data")
        if run.returncode != 0 or data[:4] != b"RIFF" or start < 0:
            return []
        # espeak-ng streams its WAV, so the header's sizes are placeholders: read to the end.
        rate = int.from_bytes(data[24:28], "little")
        pcm = data[start + 8 :]
        pcm = pcm[: len(pcm) // 2 * 2]
        raw = np.frombuffer(pcm, dtype="<i2").astype(np.float64) / 32768
        if not len(raw) or rate <= 0:
            return []
        times = np.arange(round(len(raw) * AUDIO_RATE / rate)) / AUDIO_RATE
        voice = np.interp(times, np.arange(len(raw)) / rate, raw)
        voices.append(voice * (0.6 / max(1e-6, float(np.abs(voice).max()))))
    return voices


def _audio(n: int) -> DemoContent:
    from labelworks.pipelines import samples_media

    speech = _speech()
    labels = samples_media.SPEECH_AUDIO_LABELS if speech else samples_media.AUDIO_LABELS
    spec = project_spec(
        "audio-demo",
        "Sound events in generated audio clips (demo data)",
        [_segments_field("audio", labels)],
        1,
    )
    guidelines = (
        f"# Sound events\n\nCover the whole clip with segments labelled {', '.join(labels)}."
        " Put boundaries where the sound changes; leave no gaps. The `energy-detector` "
        "suggestions skip silence and blur the edges.\n"
    )
    made = samples_media.audio_clips(n, speech=speech)
    return DemoContent(
        spec, guidelines, [m.record for m in made], {p: b for m in made for p, b in m.files.items()}
    )


def _sensor(n: int) -> DemoContent:
    from labelworks.pipelines import samples_signals

    spec = project_spec(
        "sensor-demo",
        "Faults in generated accelerometer recordings (demo data)",
        [_segments_field("timeseries", samples_signals.SENSOR_LABELS)],
        1,
    )
    guidelines = (
        "# Sensor faults\n\nMark where the accelerometer misbehaves:\n\n- **spike**: a "
        "sudden jump on one axis lasting a fraction of a second.\n- **drift**: one axis "
        "slowly leaves its baseline, then snaps back.\n- **flatline**: all axes freeze.\n\n"
        "`threshold-detector` suggestions find spikes and flatlines, never drifts.\n"
    )
    made = samples_signals.sensor_series(n)
    return DemoContent(
        spec, guidelines, [m.record for m in made], {p: b for m in made for p, b in m.files.items()}
    )


# WebM/VP8 plays in every browser (H.264 needs codecs some Chromium builds lack); the
# fastest realtime settings, since encoding dominates the demo's start-up when video is on.
_VP8_OPTIONS = {
    "deadline": "realtime",
    "cpu-used": "16",
    "lag-in-frames": "0",
    "auto-alt-ref": "0",
    "b": "300k",
}


def encode_with_av(frames: Frames, fps: int) -> bytes:
    """A WebM (VP8) video of RGB ``frames`` encoded in memory with PyAV."""
    av: Any = importlib.import_module("av")
    buffer = io.BytesIO()
    with av.open(buffer, mode="w", format="webm") as container:
        stream = container.add_stream("libvpx", rate=fps)
        stream.width, stream.height = frames.shape[2], frames.shape[1]
        stream.pix_fmt = "yuv420p"
        stream.options = _VP8_OPTIONS
        for frame in frames:
            for packet in stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return buffer.getvalue()


def encode_with_ffmpeg(frames: Frames, fps: int) -> bytes:
    """A WebM (VP8) video of RGB ``frames`` made by imageio-ffmpeg's bundled ffmpeg."""
    exe = importlib.import_module("imageio_ffmpeg").get_ffmpeg_exe()
    _, height, width, _ = frames.shape
    # A real file rather than a pipe, so the muxer can write the cues browsers seek with.
    with tempfile.TemporaryDirectory(prefix="labelworks-demo-") as folder:
        target = Path(folder) / "clip.webm"
        command = [exe, "-loglevel", "error", "-f", "rawvideo", "-pix_fmt", "rgb24"]
        command += ["-s", f"{width}x{height}", "-r", str(fps), "-i", "-"]
        command += ["-c:v", "libvpx"]
        command += [arg for key, value in _VP8_OPTIONS.items() for arg in (f"-{key}", value)]
        command += ["-pix_fmt", "yuv420p", "-y", str(target)]
        subprocess.run(
            command,
            input=frames.tobytes(),
            capture_output=True,
            check=True,
            timeout=120,
        )
        return target.read_bytes()


def video_encoder() -> tuple[Encoder | None, str]:
    """An encoder that works here (tried on two tiny frames) and its name, or None and why."""
    candidates: list[tuple[str, str, Encoder]] = [
        ("av", "PyAV", encode_with_av),
        ("imageio_ffmpeg", "imageio-ffmpeg", encode_with_ffmpeg),
    ]
    problems = []
    for module, label, encode in candidates:
        if importlib.util.find_spec(module) is None:
            continue
        import numpy as np

        try:
            encode(np.zeros((2, 16, 16, 3), dtype=np.uint8), 10)
        except Exception as exc:  # any failure means this library cannot make the demo
            problems.append(f"{label} failed: {str(exc).splitlines()[0] if str(exc) else exc!r}")
            continue
        return encode, label
    if problems:
        return None, "; ".join(problems)
    return None, "no video library installed (pip install av, or imageio-ffmpeg)"


def _video(n: int) -> DemoContent | Unavailable:
    from labelworks.pipelines import samples_signals

    encode, why = video_encoder()
    if encode is None:
        return Unavailable(why)
    spec = project_spec(
        "video-demo",
        "What a ball does in generated video clips (demo data)",
        [_segments_field("video", samples_signals.VIDEO_LABELS)],
        1,
    )
    guidelines = (
        "# Ball activity\n\nCover the whole clip: **moving** while the ball moves, "
        "**still** while it stands still, **empty** while no ball is visible.\n"
    )
    records, files = _clips(n, encode)
    return DemoContent(spec, guidelines, list(records), dict(files))


# Encoding is nearly all of a demo seed's time (seconds of CPU), and the clips are the same
# for the same ``n`` and encoder: a process that seeds several databases (tests, a demo
# seeded again) encodes them once.
@functools.lru_cache(maxsize=2)
def _clips(n: int, encode: Encoder) -> tuple[tuple[Record, ...], tuple[tuple[str, bytes], ...]]:
    from labelworks.pipelines import samples_signals

    made = samples_signals.video_clips(n)
    files = tuple((clip.path, encode(clip.frames, samples_signals.VIDEO_FPS)) for clip in made)
    return tuple(clip.record for clip in made), files


# The media demo projects in display order: name, widget kind, builder.
MEDIA_BUILDERS: tuple[tuple[str, str, Builder], ...] = (
    ("boxes-demo", "boxes", _boxes),
    ("audio-demo", "segments (audio)", _audio),
    ("video-demo", "segments (video)", _video),
    ("sensor-demo", "segments (time series)", _sensor),
)
