"""Video probing through PyAV: facts and keyframe thumbnails of a real clip, a file that is
not a video, and the reason given when PyAV is not installed."""

from __future__ import annotations

import io
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from labelworks.pipelines.media_probe import UnreadableMedia, probe


def _clip(frames: int = 30, fps: int = 10) -> bytes:
    av = pytest.importorskip("av")
    out = io.BytesIO()
    with av.open(out, mode="w", format="webm") as container:
        stream = container.add_stream("libvpx", rate=fps)
        stream.width, stream.height = 96, 64
        stream.pix_fmt = "yuv420p"
        for k in range(frames):
            picture = np.full((64, 96, 3), (k * 8) % 255, dtype=np.uint8)
            for packet in stream.encode(av.VideoFrame.from_ndarray(picture, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return out.getvalue()


def test_a_clip_reports_duration_rate_resolution_and_keyframes() -> None:
    """A 3 s 10 fps VP8 clip: its facts, and each keyframe thumbnail is a WebP picture."""
    result = probe("video", _clip(), "clip.webm")
    thumbs = [Image.open(io.BytesIO(b)) for k, b in result.files.items() if k != "thumbnail"]
    keyframes = result.facts.pop("keyframes")
    assert (
        result.facts,
        keyframes == len(thumbs) >= 1,
        {t.size for t in thumbs},
        result.files["thumbnail"] == result.files["keyframe-0"],
    ) == (
        {
            "kind": "video",
            "codec": "vp8",
            "width": 96,
            "height": 64,
            "frame_rate": 10.0,
            "duration": 3.0,
            "frames": None,
        },
        True,
        {(96, 64)},
        True,
    )


@pytest.mark.parametrize("data", [b"this is not a video at all", b"\x1a\x45\xdf\xa3" + b"\0" * 64])
def test_a_file_that_is_not_a_video_is_refused(data: bytes) -> None:
    """Text, and a Matroska magic number with nothing after it, are refused with a reason."""
    pytest.importorskip("av")
    with pytest.raises(UnreadableMedia) as caught:
        probe("video", data, "fake.mp4")
    assert caught.value.reason.startswith(("not a video FFmpeg can decode", "no video stream"))


def test_an_audio_only_file_is_not_a_video() -> None:
    """A WAV named as the video says it has no video stream."""
    pytest.importorskip("av")
    from labelworks.pipelines.samples_media import wav_bytes

    with pytest.raises(UnreadableMedia) as caught:
        probe("video", wav_bytes(np.zeros(800)), "sound.mp4")
    assert caught.value.reason == "no video stream in the file"


def test_without_pyav_video_needs_the_extra() -> None:
    """With PyAV unimportable, a video gets the reason 'needs labelworks[video]'."""
    code = (
        "import sys; sys.modules['av'] = None\n"
        "from labelworks.pipelines.media_probe import probe, UnreadableMedia\n"
        "try:\n    probe('video', b'anything', 'a.mp4')\n"
        "except UnreadableMedia as e:\n    print(e.reason)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "needs labelworks[video] (PyAV) to read video"
