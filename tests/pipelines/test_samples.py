"""Demo sample generators: deterministic, and every truth and pre-annotation they give is valid."""

from __future__ import annotations

import io
import re
import wave
from collections import Counter
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from labelworks.domain.schema import FieldSpec, validate_annotation
from labelworks.domain.spec import spec_from_dict
from labelworks.pipelines import samples, samples_answers, samples_media, samples_signals
from labelworks.pipelines.samples import Record


def fields(*definitions: dict[str, Any]) -> list[FieldSpec]:
    """Parsed fields of a throwaway spec."""
    return spec_from_dict({"name": "t", "fields": list(definitions)}).fields


TOPICS = fields({"name": "topics", "kind": "multi_choice", "labels": list(samples.TOPICS)})
NER = fields({"name": "entities", "kind": "spans", "labels": list(samples.NER_LABELS)})
BOXES = fields(
    {
        "name": "objects",
        "kind": "boxes",
        "labels": list(samples_media.SHAPES),
        "width_key": "width",
        "height_key": "height",
    }
)


def segments(media: str, labels: tuple[str, ...]) -> list[FieldSpec]:
    """A segments field over ``media`` that checks ends against the payload's duration."""
    return fields(
        {
            "name": "events",
            "kind": "segments",
            "media": media,
            "labels": list(labels),
            "duration_key": "duration",
        }
    )


PAIRWISE = fields(
    {"name": "preference", "kind": "pairwise", "strength": {"min": 1, "max": 3}},
)
RATING = fields({"name": "quality", "kind": "rating", "min": 1, "max": 5})


def check_records(records: list[Record], schema: list[FieldSpec], name: str) -> int:
    """Validate each record's intended value and pre-annotations; return the pre count."""
    pre = 0
    for record in records:
        validate_annotation(schema, {name: record["metadata"]["intended"]}, record["payload"])
        for p in record.get("pre_annotations", []):
            assert set(p) == {"model", "score", "value"}
            validate_annotation(schema, p["value"], record["payload"])
            pre += 1
    return pre


def test_text_generators_are_deterministic_per_seed() -> None:
    """The same seed gives the same records; another seed gives other records."""
    makers = [
        samples.reviews,
        samples.topic_reviews,
        samples.ner_sentences,
        samples_answers.response_pairs,
        samples_answers.rated_answers,
    ]
    for make in makers:
        assert make(30, seed=5) == make(30, seed=5)
        assert make(30, seed=5) != make(30, seed=6)


def test_media_generators_are_deterministic_per_seed() -> None:
    """Images, audio and sensor files are byte-identical for a seed and differ across seeds."""
    makers = [samples_media.shape_images, samples_media.audio_clips, samples_signals.sensor_series]
    for make in makers:
        assert make(3, seed=5) == make(3, seed=5)
        assert make(3, seed=5) != make(3, seed=6)
    first, again = samples_signals.video_clips(2, seed=5), samples_signals.video_clips(2, seed=5)
    assert [(v.record, v.path) for v in first] == [(v.record, v.path) for v in again]
    assert all(np.array_equal(a.frames, b.frames) for a, b in zip(first, again, strict=True))


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_text_truths_and_pre_annotations_are_valid(seed: int) -> None:
    """For any seed, intended labels and model suggestions pass the schema's validation."""
    assert check_records(samples.topic_reviews(30, seed), TOPICS, "topics") == 10
    assert check_records(samples.ner_sentences(30, seed), NER, "entities") > 0
    check_records(samples_answers.response_pairs(30, seed), PAIRWISE, "preference")
    check_records(samples_answers.rated_answers(30, seed), RATING, "quality")


def test_generated_items_are_distinct_with_external_ids_in_order() -> None:
    """Every text generator yields n distinct payloads numbered 0001..n."""
    makers = {
        "review": samples.reviews,
        "topics": samples.topic_reviews,
        "sentence": samples.ner_sentences,
        "pair": samples_answers.response_pairs,
        "answer": samples_answers.rated_answers,
    }
    for prefix, make in makers.items():
        records = make(200)
        assert [r["external_id"] for r in records] == [f"{prefix}-{i:04d}" for i in range(1, 201)]
        assert len({repr(sorted(r["payload"].items())) for r in records}) == 200


NAMES = {"PER": samples.PEOPLE, "ORG": samples.ORGANISATIONS, "LOC": samples.PLACES}
DATE = re.compile(r"\d{1,2} [A-Z][a-z]+ \d{4}")


def test_ner_entities_cover_the_filled_names() -> None:
    """Intended spans cut out exactly the names, companies, places and dates filled in."""
    for record in samples.ner_sentences(100):
        text = record["payload"]["text"]
        for span in record["metadata"]["intended"]:
            piece = text[span["start"] : span["end"]]
            if span["label"] == "DATE":
                assert DATE.fullmatch(piece), (text, span)
            else:
                assert piece in NAMES[span["label"]], (text, span)


def test_regex_ner_finds_dates_and_suffixed_organisations() -> None:
    """The fake model's spans are the dates and suffixed companies, at code-point offsets."""
    text = "Zoë Ødegaard joined Initech Inc in Kraków on 3 May 2021; Müller & Söhne GmbH too."
    assert samples.regex_entities(text) == [
        {"start": 20, "end": 31, "label": "ORG", "text": "Initech Inc", "score": 0.8},
        {"start": 45, "end": 55, "label": "DATE", "text": "3 May 2021", "score": 0.95},
        {"start": 66, "end": 76, "label": "ORG", "text": "Söhne GmbH", "score": 0.8},
    ]


def test_pairs_cover_every_intended_outcome() -> None:
    """Pairs prefer a and b about equally often, and include ties and every strength."""
    outcomes = Counter(
        (r["metadata"]["intended"]["choice"], r["metadata"]["intended"].get("strength"))
        for r in samples_answers.response_pairs(200)
    )
    assert set(outcomes) == {
        ("a", 1), ("a", 2), ("a", 3), ("b", 1), ("b", 2), ("b", 3), ("tie", None)
    }  # fmt: skip
    a_side = sum(n for (choice, _), n in outcomes.items() if choice == "a")
    assert 70 <= a_side <= 130


def test_shape_images_are_pngs_whose_boxes_are_exact() -> None:
    """Each PNG is 320x240 RGB; a square's box holds one colour and nothing of it around it."""
    made = samples_media.shape_images(20)
    assert check_records([m.record for m in made], BOXES, "objects") == 10
    squares = 0
    for sample in made:
        assert list(sample.files) == [sample.record["payload"]["image"]]
        image = Image.open(io.BytesIO(sample.files[sample.record["payload"]["image"]]))
        assert (image.format, image.size, image.mode) == ("PNG", (320, 240), "RGB")
        pixels = np.asarray(image)
        for box in sample.record["metadata"]["intended"]:
            if box["label"] != "square":
                continue
            squares += 1
            x, y, w, h = box["x"], box["y"], box["width"], box["height"]
            inside = pixels[y : y + h, x : x + w].reshape(-1, 3)
            colour = inside[0]
            ring = np.concatenate(
                [
                    pixels[max(0, y - 1) : y + h + 1, max(0, x - 1)].reshape(-1, 3),
                    pixels[max(0, y - 1) : y + h + 1, min(319, x + w)].reshape(-1, 3),
                    pixels[max(0, y - 1), max(0, x - 1) : x + w + 1].reshape(-1, 3),
                    pixels[min(239, y + h), max(0, x - 1) : x + w + 1].reshape(-1, 3),
                ]
            )
            assert (inside == colour).all()
            assert not (ring == colour).all(axis=1).all()
    assert squares > 0


def wav_signal(data: bytes) -> tuple[tuple[int, int, int], np.ndarray]:
    """(channels, sample width, rate) and the samples in -1..1 of a WAV file."""
    with wave.open(io.BytesIO(data)) as clip:
        shape = (clip.getnchannels(), clip.getsampwidth(), clip.getframerate())
        raw = clip.readframes(clip.getnframes())
    return shape, np.frombuffer(raw, dtype="<i2") / 32768


def test_audio_clips_are_16khz_mono_and_their_segments_tile_them() -> None:
    """Clips last 6-10 s, segments cover them without gaps, and only silence is quiet."""
    made = samples_media.audio_clips(8)
    labels = samples_media.AUDIO_LABELS
    assert check_records([m.record for m in made], segments("audio", labels), "events") == 3
    for sample in made:
        payload = sample.record["payload"]
        shape, signal = wav_signal(sample.files[payload["audio"]])
        assert shape == (1, 2, 16_000)
        assert len(signal) == round(payload["duration"] * 16_000)
        assert 6.0 <= payload["duration"] <= 10.0
        spans = sample.record["metadata"]["intended"]
        edges = [(s["start"], s["end"]) for s in spans]
        assert [e[0] for e in edges] == [0.0] + [e[1] for e in edges[:-1]]
        assert edges[-1][1] == payload["duration"]
        loud = []
        for s in spans:
            # Skip the 10 ms fades at each edge.
            part = signal[round(s["start"] * 16_000) + 200 : round(s["end"] * 16_000) - 200]
            loud.append(float(np.sqrt(np.mean(part**2))) > 0.05)
        assert loud == [s["label"] != "silence" for s in spans]


def test_audio_clips_with_speech_use_the_speech_labels() -> None:
    """Given voice recordings, clips hold speech segments instead of chirps."""
    voice = 0.5 * np.sin(np.linspace(0, 3000, 16_000))
    made = samples_media.audio_clips(6, speech=[voice])
    schema = segments("audio", samples_media.SPEECH_AUDIO_LABELS)
    check_records([m.record for m in made], schema, "events")
    used = {s["label"] for m in made for s in m.record["metadata"]["intended"]}
    assert used == {"speech", "tone", "noise", "silence"}


def test_sensor_series_have_the_csv_layout_and_visible_events() -> None:
    """CSVs are 1000 rows at 50 Hz; spikes jump, flatlines freeze, the detector misses drifts."""
    made = samples_signals.sensor_series(6)
    schema = segments("timeseries", samples_signals.SENSOR_LABELS)
    assert check_records([m.record for m in made], schema, "events") == 3
    labels_seen: set[str] = set()
    for sample in made:
        data = sample.files[sample.record["payload"]["timeseries"]].decode()
        assert data.splitlines()[0] == "t,accel_x,accel_y,accel_z"
        table = np.loadtxt(io.StringIO(data), delimiter=",", skiprows=1)
        assert table.shape == (1000, 4)
        assert np.allclose(table[:, 0], np.arange(1000) / 50)
        for event in sample.record["metadata"]["intended"]:
            labels_seen.add(event["label"])
            part = table[round(event["start"] * 50) : round(event["end"] * 50), 1:]
            if event["label"] == "flatline":
                assert (part == part[0]).all()
            if event["label"] == "spike":
                assert np.abs(part - np.median(table[:, 1:], axis=0)).max() > 3.5
        for pre in sample.record.get("pre_annotations", []):
            assert {e["label"] for e in pre["value"]["events"]} <= {"spike", "flatline"}
    assert labels_seen == {"spike", "drift", "flatline"}


def test_video_frames_show_what_the_segments_say() -> None:
    """Empty stretches show only the background, still ones repeat, moving ones change."""
    for clip in samples_signals.video_clips(3):
        frames = clip.frames
        assert frames.shape[1:] == (240, 320, 3)
        assert len(frames) == round(clip.record["payload"]["duration"] * 10)
        schema = segments("video", samples_signals.VIDEO_LABELS)
        check_records([clip.record], schema, "events")
        for s in clip.record["metadata"]["intended"]:
            part = frames[round(s["start"] * 10) : round(s["end"] * 10)]
            uniform = (part == part[:, :1, :1]).all()
            repeats = (part == part[:1]).all()
            assert (uniform, repeats) == {
                "empty": (True, True),
                "still": (False, True),
                "moving": (False, len(part) == 1),
            }[s["label"]]


@pytest.mark.parametrize("n", [0, 1])
def test_tiny_counts(n: int) -> None:
    """Asking for zero or one item gives exactly that many from every generator."""
    counts = [
        len(samples.reviews(n)),
        len(samples.topic_reviews(n)),
        len(samples.ner_sentences(n)),
        len(samples_answers.response_pairs(n)),
        len(samples_answers.rated_answers(n)),
        len(samples_media.shape_images(n)),
        len(samples_media.audio_clips(n)),
        len(samples_signals.sensor_series(n)),
        len(samples_signals.video_clips(n)),
    ]
    assert counts == [n] * 9
