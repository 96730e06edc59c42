"""The Data page's import options, driven in Chromium as an admin: a Label Studio export
chosen with the Label Studio format is refused while its annotator is unknown (the task and
email named, nothing imported), then imported with "create annotators" ticked, the counts
of tasks, annotations, predictions and created annotators shown."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from playwright.sync_api import expect

from labelworks.services import exports

if TYPE_CHECKING:
    from tests.browser.conftest import LiveServer, LoginFactory, LogLookup, Screenshot

PROJECT = "sentiment-demo"
DATA = f"/projects/{PROJECT}/settings/data"


def _export() -> bytes:
    def answer(label: str) -> list[dict[str, object]]:
        return [
            {
                "from_name": "sentiment",
                "to_name": "text",
                "type": "choices",
                "value": {"choices": [label]},
            }
        ]

    tasks = [
        {
            "id": 901,
            "data": {"text": "migrated from Label Studio", "product": "p"},
            "annotations": [
                {
                    "completed_by": {"id": 3, "email": "ls.person@example.org"},
                    "created_at": "2024-05-01T10:00:00Z",
                    "lead_time": 8.5,
                    "result": answer("positive"),
                },
                {"completed_by": 4, "was_cancelled": True, "result": []},
            ],
            "predictions": [{"model_version": "m1", "score": 0.5, "result": answer("neutral")}],
        }
    ]
    return json.dumps(tasks).encode()


def test_label_studio_export_uploads_with_created_annotators(
    page_as: LoginFactory, demo_server: LiveServer, page_log: LogLookup, screenshot: Screenshot
) -> None:
    """Unknown annotator: refused naming task 1 and the email; with the box ticked: one
    item, one annotation, one prediction, one cancelled, the annotator created."""
    before = exports.count_for_export(demo_server.db, PROJECT)
    page = page_as("admin")
    page.goto(DATA)
    page.locator("[data-testid=import-format]").select_option("labelstudio")
    upload = {"name": "ls-export.json", "mimeType": "application/json", "buffer": _export()}
    page.locator("[data-testid=import-file]").set_input_files(upload)
    expect(page.locator("[data-testid=import-error]")).to_be_visible()
    refused = page.locator("[data-testid=import-error-message]").inner_text()
    assert exports.count_for_export(demo_server.db, PROJECT) == before
    page.locator("[data-testid=import-create-annotators]").check()
    page.locator("[data-testid=import-file]").set_input_files(upload)
    expect(page.locator("[data-testid=import-done]")).to_be_visible()
    counts = {
        t: page.locator(f"[data-testid={t}]").inner_text()
        for t in (
            "import-rows",
            "import-inserted",
            "import-annotations",
            "import-predictions",
            "import-cancelled",
            "import-created",
        )
    }
    screenshot(page, "data-label-studio-imported")
    assert "line 1" in refused and "ls.person@example.org" in refused
    assert counts == {
        "import-rows": "1",
        "import-inserted": "1",
        "import-annotations": "1",
        "import-predictions": "1",
        "import-cancelled": "1",
        "import-created": "ls.person@example.org",
    }
    assert exports.count_for_export(demo_server.db, PROJECT) == before + 1
    # The refused upload's 422 is logged by Chromium as a failed resource; nothing else.
    log = page_log(page)
    assert [e for e in log.console_errors if "422" not in e] == []
    assert (log.page_errors, log.dialogs) == ([], [])
