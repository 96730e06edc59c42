"""The Data page's boxes import, driven in Chromium as an admin on the demo's boxes project:
a COCO file chosen with the format and "finished annotations" is imported with its
annotator created (the card's options travel with the file), and a file with a category the
field does not have is refused with nothing imported."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from playwright.sync_api import expect

from labelworks.services import exports

if TYPE_CHECKING:
    from tests.browser.conftest import LiveServer, LoginFactory, Screenshot

PROJECT = "boxes-demo"


def _coco(category: str) -> bytes:
    return json.dumps(
        {
            "images": [{"id": 1, "file_name": "uploaded/one.png", "width": 64, "height": 48}],
            "categories": [{"id": 1, "name": category}],
            "annotations": [
                {"id": 1, "image_id": 1, "category_id": 1, "bbox": [4, 4, 20, 10]},
            ],
        }
    ).encode()


def test_a_coco_file_uploads_with_the_cards_options(
    page_as: LoginFactory, demo_server: LiveServer, screenshot: Screenshot
) -> None:
    """An unknown category is refused naming it; then a good file with 'finished
    annotations' by a new annotator adds one item with its annotation."""
    before = exports.count_for_export(demo_server.db, PROJECT)
    page = page_as("admin")
    page.goto(f"/projects/{PROJECT}/settings/data")
    page.locator("[data-testid=boxes-format]").select_option("coco")
    page.locator("[data-testid=boxes-file]").set_input_files(
        {"name": "bad.json", "mimeType": "application/json", "buffer": _coco("eel")}
    )
    expect(page.locator("[data-testid=boxes-result] .flash.bad")).to_be_visible()
    refused = page.locator("[data-testid=boxes-result]").inner_text()
    assert exports.count_for_export(demo_server.db, PROJECT) == before
    page.locator("[data-testid=boxes-as]").select_option("annotations")
    page.locator("[data-testid=boxes-annotator]").fill("boxer@example.org")
    page.locator("[data-testid=boxes-create]").check()
    page.locator("[data-testid=boxes-file]").set_input_files(
        {"name": "good.json", "mimeType": "application/json", "buffer": _coco("circle")}
    )
    inserted = page.locator("[data-testid=boxes-result] [data-testid=import-inserted]")
    expect(inserted).to_have_text("1")
    screenshot(page, "data-boxes-imported")
    assert "eel" in refused
    assert exports.count_for_export(demo_server.db, PROJECT) == before + 1
