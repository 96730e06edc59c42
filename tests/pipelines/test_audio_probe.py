"""Audio probing: PCM WAV through the standard library, other formats through PyAV, peaks,
and refusal of truncated WAVs (a header that promises more audio than the file holds)."""

from __future__ import annotations

import io
import json
import struct
import wave

import numpy as np
import pytest

from labelworks.pipelines.audio_probe import peaks, probe_audio
from labelworks.pipelines.media_probe import UnreadableMedia


def _wav(seconds: float, rate: int = 8000, channels: int = 1, width: int = 2) -> bytes:
    count = int(seconds * rate)
    t = np.arange(count) / rate
    wave_form = 0.5 * np.sin(2 * np.pi * 440 * t)
    out = io.BytesIO()
    with wave.open(out, "wb") as writer:
        writer.setnchannels(channels)
        writer.setsampwidth(width)
        writer.setframerate(rate)
        if width == 1:
            pcm = (wave_form * 127 + 128).astype(np.uint8)
        else:
            pcm = (wave_form * 32767).astype("<i2")
        writer.writeframes(np.repeat(pcm, channels).tobytes())
    return out.getvalue()


def test_a_pcm_wav_reports_duration_rate_channels_and_peaks() -> None:
    """Two seconds of stereo 16-bit audio: facts and 1,000 peak pairs near ±0.5."""
    result = probe_audio(_wav(2.0, channels=2), "a.wav")
    document = json.loads(result.files["peaks"])
    pairs = np.array(document["peaks"])
    assert (
        result.facts,
        {k: v for k, v in document.items() if k != "peaks"},
        pairs.shape,
        bool(np.all(np.abs(pairs.min(axis=0)[0] + 0.5) < 0.01)),
        bool(np.all(np.abs(pairs.max(axis=0)[1] - 0.5) < 0.01)),
    ) == (
        {"kind": "audio", "codec": "pcm_16", "duration": 2.0, "sample_rate": 8000, "channels": 2},
        {"duration": 2.0, "sample_rate": 8000, "channels": 2},
        (1000, 2),
        True,
        True,
    )


def test_eight_bit_wav_is_read_too() -> None:
    """Unsigned 8-bit PCM is centred on zero."""
    result = probe_audio(_wav(0.5, width=1), "a.wav")
    pairs = np.array(json.loads(result.files["peaks"])["peaks"])
    assert (result.facts["codec"], result.facts["duration"], round(float(pairs.max()), 1)) == (
        "pcm_8",
        0.5,
        0.5,
    )


def test_a_wav_with_a_lying_header_is_refused() -> None:
    """A data chunk size larger than the file is named as a truncated WAV with both sizes."""
    data = bytearray(_wav(1.0))
    start = data.find(b"data")
    struct.pack_into("<I", data, start + 4, 10_000_000)
    with pytest.raises(UnreadableMedia) as caught:
        probe_audio(bytes(data), "liar.wav")
    assert caught.value.reason == (
        "truncated WAV: the header declares 10,000,000 bytes of audio (5,000,000 frames), "
        "the file holds 16,000"
    )


def test_a_wav_cut_inside_its_header_is_refused() -> None:
    """Twenty bytes of a WAV are not a WAV."""
    with pytest.raises(UnreadableMedia) as caught:
        probe_audio(_wav(1.0)[:20], "cut.wav")
    assert "WAV" in caught.value.reason


def test_flac_is_read_through_pyav() -> None:
    """A FLAC file (not WAV) is decoded by PyAV: duration, rate, channels, codec."""
    av = pytest.importorskip("av")
    out = io.BytesIO()
    with av.open(out, "w", format="flac") as container:
        stream = container.add_stream("flac", rate=16000, layout="mono")
        samples = (np.sin(np.arange(16000) / 5) * 16000).astype(np.int16).reshape(1, -1)
        frame = av.AudioFrame.from_ndarray(samples, format="s16", layout="mono")
        frame.sample_rate = 16000
        for packet in stream.encode(frame):
            container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    result = probe_audio(out.getvalue(), "a.flac")
    assert result.facts == {
        "kind": "audio",
        "codec": "flac",
        "duration": 1.0,
        "sample_rate": 16000,
        "channels": 1,
    }


def test_random_bytes_are_not_audio() -> None:
    """Noise named .mp3 is refused with the decoder's reason."""
    pytest.importorskip("av")
    noise = np.random.default_rng(3).integers(0, 255, 4000, dtype=np.uint8).tobytes()
    with pytest.raises(UnreadableMedia) as caught:
        probe_audio(noise, "x.mp3")
    assert caught.value.reason.startswith(("not an audio file FFmpeg can decode", "no audio"))


def test_peaks_cover_every_frame_in_order() -> None:
    """Fewer frames than pairs give one pair per frame; more are split into equal runs."""
    few = np.array([[0.1], [-0.2], [0.3]], dtype=np.float32)
    many = np.linspace(-1, 1, 10, dtype=np.float32).reshape(-1, 1)
    assert (peaks(few), peaks(many, pairs=2)) == (
        [[0.1, 0.1], [-0.2, -0.2], [0.3, 0.3]],
        [[-1.0, -0.1111], [0.1111, 1.0]],
    )
