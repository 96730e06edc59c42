"""Real-browser fixtures: a live uvicorn server, Debian's Chromium through Playwright, logins.

One Chromium runs for the whole session; every test gets fresh browser contexts (cookies,
storage) and a fresh server over the ``db`` fixture, so browser tests run on SQLite and,
when selected with ``--db``, on PostgreSQL. Screenshots go to ``test-artifacts/screenshots``
at the repository root (gitignored) for reviewers.
"""

from __future__ import annotations

import os
import socket
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import uvicorn
from playwright.sync_api import Browser, ConsoleMessage, Dialog, Page, sync_playwright

from labelworks.config import Settings
from labelworks.server.app import create_app
from labelworks.services.demo import DEMO_PASSWORD, seed_demo
from labelworks.storage.engine import Database

CHROMIUM = Path("/usr/bin/chromium")
# No sandbox (containers run as root), no GPU, and nothing phoning home during tests.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
SCREENSHOTS = ARTIFACTS / "screenshots"
DEMO_PEOPLE = {
    "admin": "admin@demo.labelworks",
    "manager": "lead@demo.labelworks",
    "reviewer": "reviewer@demo.labelworks",
    "annotator": "ada@demo.labelworks",
}
STARTUP_TIMEOUT_S = 15.0


@dataclass(frozen=True, slots=True)
class LiveServer:
    """A running server: its base URL (no trailing slash), database and data directory."""

    url: str
    db: Database
    data_dir: Path


@dataclass(slots=True)
class PageLog:
    """What a page reported while a test drove it."""

    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)

    def problems(self) -> dict[str, list[str]]:
        """Every non-empty record, for one whole-dict assertion (``== {}`` when clean)."""
        found = {
            "console_errors": self.console_errors,
            "page_errors": self.page_errors,
            "dialogs": self.dialogs,
        }
        return {key: list(values) for key, values in found.items() if values}


PageFactory = Callable[[], Page]
LoginFactory = Callable[[str], Page]
Screenshot = Callable[[Page, str], Path]
LogLookup = Callable[[Page], PageLog]


def _bound_socket() -> socket.socket:
    """A listening-ready socket on a free port, handed to uvicorn so no other process can
    grab the port between choosing and binding it."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


def _wait_for_health(url: str, server: uvicorn.Server, thread: threading.Thread) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        if not thread.is_alive():
            raise RuntimeError("the test server thread exited during start-up")
        if server.started:
            try:
                with urllib.request.urlopen(f"{url}/api/health", timeout=2) as response:
                    if response.status == 200:
                        return
            except OSError:
                pass
        time.sleep(0.02)
    raise RuntimeError(f"the test server did not answer {url}/api/health in {STARTUP_TIMEOUT_S} s")


@pytest.fixture
def live_server(db: Database, tmp_path: Path) -> Iterator[LiveServer]:
    """A real uvicorn server on a free port over the test database, with its embedded job
    consumer (as ``labelworks serve`` runs it), stopped at teardown."""
    data_dir = tmp_path / "data"
    settings = Settings(data_dir=data_dir, secret_key="browser-test-secret")
    app = create_app(settings, database=db, run_jobs=True)
    sock = _bound_socket()
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name="uvicorn-test", daemon=True
    )
    thread.start()
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_for_health(url, server, thread)
        yield LiveServer(url=url, db=db, data_dir=data_dir)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


@pytest.fixture
def demo_server(live_server: LiveServer) -> LiveServer:
    """The live server with the demo seeded: one project per widget kind, 20 text items
    each (fewer media items), and the demo people (password ``demo-password``)."""
    seed_demo(live_server.db, media_dir=live_server.data_dir / "media", n_items=20)
    return live_server


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Debian's Chromium driven by Playwright, one per session (never a downloaded build)."""
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} is missing: install Debian's chromium package (.ci/run does)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    playwright = sync_playwright().start()
    try:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()
    finally:
        playwright.stop()


@pytest.fixture
def page_log() -> Iterator[LogLookup]:
    """Look up what a page opened by ``new_page`` or ``page_as`` reported."""
    logs: dict[int, PageLog] = {}

    def lookup(page: Page) -> PageLog:
        return logs.setdefault(id(page), PageLog())

    yield lookup
    logs.clear()


@pytest.fixture
def new_page(
    browser: Browser, live_server: LiveServer, page_log: LogLookup
) -> Iterator[PageFactory]:
    """Open an anonymous page in a fresh context whose console errors, uncaught errors and
    dialogs are recorded (see ``page_log``); dialogs are dismissed so nothing blocks."""
    contexts = []

    def open_page() -> Page:
        context = browser.new_context(
            base_url=live_server.url, viewport={"width": 1280, "height": 900}
        )
        contexts.append(context)
        page = context.new_page()
        log = page_log(page)

        def on_console(message: ConsoleMessage) -> None:
            if message.type == "error":
                source = message.location.get("url", "")
                log.console_errors.append(f"{page.url}: {message.text} [{source}]")

        def on_dialog(dialog: Dialog) -> None:
            log.dialogs.append(f"{page.url}: {dialog.type}: {dialog.message}")
            dialog.dismiss()

        page.on("console", on_console)
        page.on("pageerror", lambda error: log.page_errors.append(f"{page.url}: {error}"))
        page.on("dialog", on_dialog)
        return page

    yield open_page
    for context in contexts:
        context.close()


def log_in(page: Page, email: str, password: str = DEMO_PASSWORD) -> None:
    """Fill and submit the real login form; returns once the page left /login."""
    page.goto("/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    with page.expect_navigation():
        page.click("button[type=submit]")
    if "/login" in page.url:
        error = page.locator("[data-testid=login-error]")
        detail = error.inner_text() if error.count() else "no error shown"
        raise AssertionError(f"logging in as {email} failed: {detail}")


@pytest.fixture
def page_as(demo_server: LiveServer, new_page: PageFactory) -> LoginFactory:
    """Open a page logged in through the login form as a demo person, by role
    (admin, manager, reviewer, annotator) or by email; it lands on the project list."""

    def open_as(who: str) -> Page:
        page = new_page()
        log_in(page, DEMO_PEOPLE.get(who, who))
        return page

    return open_as


@pytest.fixture(scope="session")
def screenshot() -> Screenshot:
    """Save a full-page PNG as ``test-artifacts/screenshots/<name>.png``; returns its path."""

    def save(page: Page, name: str) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return save
