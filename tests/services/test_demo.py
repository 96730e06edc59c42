"""The demo seed: every widget kind's project, its media files, the demo people, idempotence."""

from __future__ import annotations

import importlib.util
import io
import os
import stat
import struct
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from labelworks.domain.schema import validate_annotation
from labelworks.pipelines import samples, samples_answers, samples_media, samples_signals
from labelworks.services import demo, demo_media, evaluation, predictions
from labelworks.services.demo import DEMO_PASSWORD, DemoInfo, DemoProject, seed_demo
from labelworks.services.passwords import verify_password
from labelworks.services.prompts import list_prompts
from labelworks.services.specs import stored_spec
from labelworks.services.users import list_users, user_for_token
from labelworks.storage import items as item_store
from labelworks.storage import projects as project_store
from labelworks.storage import users as user_store
from labelworks.storage.engine import Database
from labelworks.storage.users import UserRow

NO_VIDEO = "no video library installed (pip install av, or imageio-ffmpeg)"
PEOPLE = [
    ("admin@demo.labelworks", "admin", "Demo Admin", None, None),
    ("lead@demo.labelworks", "manager", "Demo Lead", None, None),
    ("reviewer@demo.labelworks", "reviewer", "Demo Reviewer", None, None),
    ("ada@demo.labelworks", "annotator", "Ada", "Acme Labeling", None),
    ("grace@demo.labelworks", "annotator", "Grace", "Borealis Data", None),
    ("alan@demo.labelworks", "annotator", "Alan", None, "in-house"),
]


N = 4  # items per project: the media ones would cap larger counts differently


def projects(created: bool, video: bool = False) -> list[DemoProject]:
    """The demo projects seeded with ``n_items=N``, in display order."""
    listed = [
        DemoProject("sentiment-demo", "choice", N, created),
        DemoProject("topics-demo", "multi_choice", N, created),
        DemoProject("ner-demo", "spans", N, created),
        DemoProject("boxes-demo", "boxes", N, created),
        DemoProject("audio-demo", "segments (audio)", N, created),
        DemoProject("video-demo", "segments (video)", 3, created),
        DemoProject("sensor-demo", "segments (time series)", N, created),
        DemoProject("pairwise-demo", "pairwise", N, created),
        DemoProject("rating-demo", "rating + text", N, created),
    ]
    return [p for p in listed if video or p.name != "video-demo"]


@pytest.fixture
def no_video(monkeypatch: pytest.MonkeyPatch) -> None:
    """Seed as on a machine without a video library, whatever this one has."""
    monkeypatch.setattr(demo_media, "video_encoder", lambda: (None, NO_VIDEO))


@pytest.fixture
def cheap_hash(monkeypatch: pytest.MonkeyPatch) -> None:
    """Skip argon2's deliberate slowness where the test does not log in."""
    monkeypatch.setattr(demo, "hash_password", lambda password: f"plain:{password}")


def stored_items(db: Database, name: str) -> list[tuple[dict[str, Any], list[dict[str, Any]]]]:
    """Each item's payload and pre-annotations, in import order."""
    with db.read() as conn:
        project = project_store.by_name(conn, name)
        assert project is not None
        rows = item_store.page(conn, project.id, after_id=0, limit=1000)
        pre = {r.id: item_store.pre_annotations_of(conn, r.id) for r in rows}
        fields = stored_spec(project.spec).fields
    for row in rows:
        for p in pre[row.id]:
            validate_annotation(fields, p["value"], row.payload)
    return [(row.payload, pre[row.id]) for row in rows]


SOURCE_KEYS = {
    "boxes-demo": "image",
    "audio-demo": "audio",
    "video-demo": "video",
    "sensor-demo": "timeseries",
}


def referenced_files(db: Database, media: Path, video: bool = False) -> set[Path]:
    """The media files the demo items' payloads point to."""
    return {
        media / name / payload[key]
        for name, key in SOURCE_KEYS.items()
        if video or name != "video-demo"
        for payload, _ in stored_items(db, name)
    }


def test_seed_creates_every_project_with_media_and_people(
    db: Database, tmp_path: Path, no_video: None
) -> None:
    """A first seed makes each widget's project, writes its files and adds six people."""
    media = tmp_path / "media"
    info = seed_demo(db, media_dir=media, n_items=N)
    tokens = [token for _, _, token in info.people]
    assert info == DemoInfo(
        project="sentiment-demo",
        created=True,
        items=8 * N,  # video-demo is skipped
        people=[(e, role, token) for (e, role, *_), token in zip(PEOPLE, tokens, strict=True)],
        projects=projects(created=True),
        password="demo-password",
        skipped=[("video-demo", NO_VIDEO)],
    )
    names = sorted(p.name for p in projects(created=True))
    users = [
        (UserRow(i, email, name, role, vendor, team, True), names)
        for i, (email, role, name, vendor, team) in enumerate(PEOPLE, start=1)
    ]
    assert list_users(db) == sorted(users, key=lambda u: u[0].email)
    assert [user_for_token(db, t or "") for t in tokens] == [u for u, _ in users]
    with db.read() as conn:
        found = [user_store.password_hash_of(conn, email) for email, *_ in PEOPLE]
    hashes = {f[1] for f in found if f is not None}
    assert len(hashes) == 1
    assert verify_password(hashes.pop(), DEMO_PASSWORD)
    on_disk = {p for p in media.rglob("*") if p.is_file()}
    assert on_disk == referenced_files(db, media)


def test_seed_stores_the_generators_items_and_suggestions(
    db: Database, tmp_path: Path, no_video: None, cheap_hash: None
) -> None:
    """Stored payloads and pre-annotations are the generators' own, and they validate."""
    seed_demo(db, media_dir=tmp_path / "media", n_items=N)
    expected = {
        "sentiment-demo": samples.reviews(N),
        "topics-demo": samples.topic_reviews(N),
        "ner-demo": samples.ner_sentences(N),
        "boxes-demo": [m.record for m in samples_media.shape_images(N)],
        "audio-demo": [m.record for m in samples_media.audio_clips(N)],
        "sensor-demo": [m.record for m in samples_signals.sensor_series(N)],
        "pairwise-demo": samples_answers.response_pairs(N),
        "rating-demo": samples_answers.rated_answers(N),
    }
    for name, records in expected.items():
        assert stored_items(db, name) == [
            (r["payload"], r.get("pre_annotations", [])) for r in records
        ], name


def test_seed_again_changes_nothing(
    db: Database, tmp_path: Path, no_video: None, cheap_hash: None
) -> None:
    """A second seed creates nothing, shows no tokens and leaves items, files and the
    demo's prompts (one version each) alone."""
    media = tmp_path / "media"
    seed_demo(db, media_dir=media, n_items=N)
    files = {p: p.read_bytes() for p in media.rglob("*") if p.is_file()}
    users = list_users(db)
    again = seed_demo(db, media_dir=media, n_items=N)
    registry = [(p.name, p.latest, p.versions) for p in list_prompts(db)]
    assert registry == [("pairwise-judge", 1, 1), ("review-sentiment", 1, 1)]
    assert again == DemoInfo(
        project="sentiment-demo",
        created=False,
        items=0,
        people=[(email, role, None) for email, role, *_ in PEOPLE],
        projects=projects(created=False),
        password="demo-password",
        skipped=[("video-demo", NO_VIDEO)],
    )
    assert list_users(db) == users
    assert {p: p.read_bytes() for p in media.rglob("*") if p.is_file()} == files


def test_seed_with_a_video_encoder_adds_the_video_project(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cheap_hash: None
) -> None:
    """With an encoder, video-demo gets clips whose files hold the encoder's output."""

    def encode(frames: np.ndarray, fps: int) -> bytes:
        return f"{frames.shape} at {fps} fps".encode()

    monkeypatch.setattr(demo_media, "video_encoder", lambda: (encode, "fake"))
    media = tmp_path / "media"
    info = seed_demo(db, media_dir=media, n_items=N)
    assert (info.projects, info.skipped) == (projects(created=True, video=True), [])
    clips = samples_signals.video_clips(3)
    assert [p for p, _ in stored_items(db, "video-demo")] == [c.record["payload"] for c in clips]
    assert {p for p in media.rglob("*") if p.is_file()} == referenced_files(db, media, video=True)
    assert [(media / "video-demo" / c.path).read_bytes() for c in clips] == [
        f"{c.frames.shape} at 10 fps".encode() for c in clips
    ]


def test_video_encoder_names_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without PyAV and imageio-ffmpeg the video demo is skipped with an install hint."""
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a: None if name in ("av", "imageio_ffmpeg") else real(name, *a),
    )
    assert demo_media.video_encoder() == (None, NO_VIDEO)


@pytest.mark.parametrize(
    ("module", "encode"),
    [("av", demo_media.encode_with_av), ("imageio_ffmpeg", demo_media.encode_with_ffmpeg)],
)
def test_video_encoders_make_webm(module: str, encode: Any) -> None:
    """Each installed video library turns frames into a WebM file (EBML magic number)."""
    pytest.importorskip(module)
    clip = samples_signals.video_clips(1)[0]
    assert encode(clip.frames, 10)[:4] == b"\x1a\x45\xdf\xa3"


FAKE_ESPEAK = """#!{python}
import struct, sys
rate, n = 22050, 11025
data = b"".join(struct.pack("<h", (i * 37) % 20000 - 10000) for i in range(n))
# espeak-ng streams: its header's sizes are placeholders, as here.
fmt = struct.pack("<IHHIIHH", 16, 1, 1, rate, rate * 2, 2, 16)
header = b"RIFF" + b"\\xff" * 4 + b"WAVEfmt " + fmt
sys.stdout.buffer.write(header + b"data" + b"\\xff" * 4 + data)
"""


def test_audio_demo_speaks_with_espeak_ng(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With espeak-ng on the PATH the audio demo holds half-second speech segments."""
    fake = tmp_path / "bin" / "espeak-ng"
    fake.parent.mkdir()
    fake.write_text(FAKE_ESPEAK.format(python=sys.executable))
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{fake.parent}{os.pathsep}{os.environ['PATH']}")
    build = {name: b for name, _, b in demo_media.MEDIA_BUILDERS}["audio-demo"]
    content = build(4)
    assert isinstance(content, demo_media.DemoContent)
    assert content.spec["fields"][0]["labels"] == ["speech", "tone", "noise", "silence"]
    # A speech segment lasts as long as the phrase, unless it is the clip's last segment.
    speech = [
        round(s["end"] - s["start"], 2)
        for r in content.records
        for s in r["metadata"]["intended"]
        if s["label"] == "speech" and s["end"] < r["payload"]["duration"]
    ]
    assert speech and set(speech) == {0.5}
    assert struct.unpack("<I", io.BytesIO(content.files["audio/0001.wav"]).read()[24:28]) == (
        16_000,
    )


def test_the_demo_scores_both_model_versions_against_its_gold(
    db: Database, tmp_path: Path, no_video: None, cheap_hash: None
) -> None:
    """The sentiment demo holds two versions of a review classifier and a run of each
    against the gold answers (the last two of its four reviews), newest first; a second
    seed adds no run."""
    seed_demo(db, media_dir=tmp_path / "media", n_items=N)
    versions = predictions.model_versions(db, "sentiment-demo")
    assert sorted((v.model, v.version, v.items) for v in versions) == [
        ("review-classifier", "1", N),
        ("review-classifier", "2", N),
    ]
    runs = evaluation.eval_runs(db, "sentiment-demo")
    assert [(r.version, r.against, r.items) for r in runs] == [("2", "gold", 2), ("1", "gold", 2)]
    seed_demo(db, media_dir=tmp_path / "media", n_items=N)
    assert len(evaluation.eval_runs(db, "sentiment-demo")) == 2
