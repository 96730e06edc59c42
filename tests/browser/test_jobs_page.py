"""The Jobs tab in the real browser: a manager starts a JSONL export in the background, the
row follows the job live until it ends, and the finished row offers the file, which
downloads with every item of the project."""

from __future__ import annotations

import json

from tests.browser.conftest import LiveServer, LoginFactory, Screenshot


def test_an_export_job_runs_live_and_its_file_downloads(
    demo_server: LiveServer, page_as: LoginFactory, screenshot: Screenshot
) -> None:
    """Start → queued or running row → reloaded succeeded row with a download link."""
    page = page_as("manager")
    page.goto("/projects/boxes-demo/jobs")
    empty = page.inner_text("[data-testid=no-jobs] h2")
    page.select_option("[data-testid=export-job-format]", "jsonl")
    page.click("[data-testid=start-export-job]")
    notice = page.inner_text("[data-testid=jobs-notice]")
    first_state = page.get_attribute("tr[data-testid=job]", "data-state")
    # jobs.js polls the job and reloads the page once it has ended.
    page.wait_for_selector("tr[data-testid=job][data-state=succeeded]", timeout=60_000)
    shot = screenshot(page, "jobs-export")
    with page.expect_download() as download:
        page.click("[data-testid=job-download]")
    lines = download.value.path().read_text().splitlines()
    records = [json.loads(line) for line in lines]
    assert (
        empty,
        notice,
        first_state in ("queued", "running", "succeeded"),
        page.inner_text("[data-testid=job-state]"),
        download.value.suggested_filename,
        len(records),
        all(r["payload"]["image"] for r in records),
        shot.is_file(),
    ) == (
        "No jobs",
        "Export job 1 started; its file appears here when it is done.",
        True,
        "succeeded",
        "boxes-demo.jsonl",
        20,
        True,
        True,
    )
