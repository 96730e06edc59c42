"""Media processing in the real browser: the Settings → Media page processes the demo's
media with its button and lists the counts; an image item shows its size and thumbnail;
the audio and time-series widgets draw the precomputed peaks and display copy."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page
from sqlalchemy import func, select
from tests.browser.conftest import LiveServer, LoginFactory, Screenshot
from tests.browser.test_widgets import ANNOTATOR, go_label

from labelworks.services.media_processing import process_media
from labelworks.storage.tables import items, projects


def test_the_media_page_processes_and_reports(
    demo_server: LiveServer, page_as: LoginFactory, screenshot: Screenshot
) -> None:
    """The manager presses Process media; a job starts, its row follows it live, and when it
    ends the page shows the 20 demo images probed."""
    page = page_as("manager")
    page.goto("/projects/boxes-demo/settings/media")
    pending = page.inner_text("[data-testid=media-pending]")
    page.click("[data-testid=media-process-button]")
    notice = page.inner_text("[data-testid=media-notice]")
    # jobs.js reloads the page once the job has ended; the reloaded row says how it went.
    page.wait_for_selector("[data-testid=media-runs] tr[data-state=succeeded]", timeout=60_000)
    shot = screenshot(page, "media-settings")
    assert (
        pending,
        notice,
        page.inner_text("[data-testid=media-runs] [data-testid=job-outcome]"),
        page.inner_text("[data-testid=media-count-image]"),
        page.inner_text("[data-testid=media-pending]"),
        page.inner_text("[data-testid=media-no-failures]"),
        page.get_attribute("[data-testid=settings-tab-media]", "aria-current"),
        shot.is_file(),
    ) == (
        "20",
        "Media processing started (job 1); its progress shows below.",
        "probed 20 files: 20 read, 0 failed; 0 done before",
        "20",
        "0",
        "No failures.",
        "page",
        True,
    )


def test_an_item_page_shows_size_and_thumbnail(
    demo_server: LiveServer, page_as: LoginFactory, screenshot: Screenshot
) -> None:
    """After processing, a demo image's item page shows 320×240 and a loaded thumbnail."""
    _process(demo_server, "boxes-demo")
    page = page_as("manager")
    page.goto(f"/projects/boxes-demo/items/{_first_item(demo_server, 'boxes-demo')}")
    page.wait_for_function(
        "() => document.querySelector('[data-testid=media-thumbnail]')?.naturalWidth > 0"
    )
    screenshot(page, "media-item")
    caption = page.inner_text("[data-testid=media-fact] figcaption")
    assert caption.split(" · phash")[0] == "image · image · 320×240 px"


def test_widgets_use_precomputed_peaks_and_display_series(
    demo_server: LiveServer, page_as: LoginFactory, screenshot: Screenshot
) -> None:
    """The audio widget marks its waveform as precomputed; the series widget loads."""
    _process(demo_server, "audio-demo")
    _process(demo_server, "sensor-demo")
    page: Page = page_as(ANNOTATOR)
    go_label(page, demo_server.db, "audio-demo")
    page.wait_for_selector("[data-testid=timeline-canvas][data-waveform=true]")
    audio = page.get_attribute("[data-testid=timeline-canvas]", "data-peaks")
    screenshot(page, "media-audio-peaks")
    go_label(page, demo_server.db, "sensor-demo")
    page.wait_for_selector("[data-testid=timeline-canvas][data-loaded=true]")
    duration = float(page.get_attribute("[data-testid=timeline-canvas]", "data-duration") or 0)
    assert (audio, duration > 19) == ("precomputed", True)


def _first_item(server: LiveServer, project: str) -> int:
    with server.db.read() as conn:
        found = conn.execute(
            select(func.min(items.c.id))
            .join(projects, projects.c.id == items.c.project_id)
            .where(projects.c.name == project)
        ).scalar_one()
    return int(found)


def _process(server: LiveServer, project: str) -> None:
    data: Path = server.data_dir
    run = process_media(
        server.db, project, media_dir=data / "media", thumbnails_dir=data / "thumbnails"
    )
    assert run.failed == 0, run
