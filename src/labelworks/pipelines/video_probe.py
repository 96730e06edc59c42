"""Video: duration, frame rate, resolution, codec and keyframe thumbnails, through PyAV.

PyAV comes with the ``video`` extra (``pip install labelworks[video]``); without it every
video is marked with that reason and nothing else is affected.
"""

from __future__ import annotations

import io
from typing import Any

from labelworks.pipelines.media_probe import Probed, UnreadableMedia, thumbnail

KEYFRAMES = 4  # thumbnails per video, spread over its length
NEEDS_AV = "needs labelworks[video] (PyAV) to read video"


def probe_video(data: bytes, name: str = "") -> Probed:
    """Probe one video file; a file with no video stream is refused with that reason."""
    try:
        import av
    except ImportError:
        raise UnreadableMedia(NEEDS_AV) from None
    if not data:
        raise UnreadableMedia("the file is empty")
    try:
        with av.open(io.BytesIO(data), mode="r") as container:
            if not container.streams.video:
                raise UnreadableMedia("no video stream in the file")
            stream = container.streams.video[0]
            rate = stream.average_rate or stream.guessed_rate
            if stream.duration is not None and stream.time_base is not None:
                duration = float(stream.duration * stream.time_base)
            elif container.duration is not None:
                duration = container.duration / av.time_base
            else:
                duration = 0.0
            facts: dict[str, Any] = {
                "kind": "video",
                "codec": stream.codec_context.name,
                "width": stream.codec_context.width,
                "height": stream.codec_context.height,
                "frame_rate": round(float(rate), 3) if rate else None,
                "duration": round(duration, 3),
                "frames": stream.frames or None,
            }
            pictures = _keyframes(container, stream, duration)
    except UnreadableMedia:
        raise
    except (av.FFmpegError, ValueError, OSError) as exc:
        raise UnreadableMedia(f"not a video FFmpeg can decode: {exc}") from None
    if not pictures:
        raise UnreadableMedia("the video stream holds no decodable frame")
    files = {f"keyframe-{i}": thumbnail(p) for i, p in enumerate(pictures)}
    files["thumbnail"] = files["keyframe-0"]
    facts["keyframes"] = len(pictures)
    return Probed(facts, files)


def _keyframes(container: Any, stream: Any, duration: float) -> list[Any]:
    """Up to ``KEYFRAMES`` pictures: the keyframe at or before each of evenly spread times."""
    stream.codec_context.skip_frame = "NONKEY"
    pictures: list[Any] = []
    seen: set[int] = set()
    for k in range(KEYFRAMES):
        at = duration * k / KEYFRAMES
        if k and stream.time_base is not None:
            container.seek(int(at / stream.time_base), stream=stream, backward=True)
        for frame in container.decode(stream):
            if frame.pts is not None and frame.pts in seen:
                break
            seen.add(frame.pts if frame.pts is not None else -len(seen) - 1)
            pictures.append(frame.to_image())
            break
        if duration <= 0:
            break
    return pictures
