"""Logging in and out through the real pages in Chromium."""

from __future__ import annotations

from typing import TYPE_CHECKING

from playwright.sync_api import Page

from labelworks.services import projects as project_service

if TYPE_CHECKING:
    from tests.browser.conftest import LiveServer, LoginFactory, LogLookup, PageFactory, Screenshot


def _project_names(page: Page) -> list[str]:
    return page.locator("[data-testid=projects] tbody tr td:first-child a b").all_inner_texts()


def test_login_form_lands_on_the_project_list(
    page_as: LoginFactory, demo_server: LiveServer, page_log: LogLookup, screenshot: Screenshot
) -> None:
    """A manager who logs in through the form sees every demo project, named in the top bar."""
    page = page_as("manager")
    expected = sorted(p.name for p in project_service.list_projects(demo_server.db))
    screenshot(page, "projects-manager")
    assert (page.url, page.locator(".who").inner_text(), _project_names(page)) == (
        f"{demo_server.url}/",
        "lead@demo.labelworks · manager",
        expected,
    )
    assert page_log(page).problems() == {}


def test_wrong_password_shows_the_error_and_keeps_you_out(
    new_page: PageFactory, demo_server: LiveServer, page_log: LogLookup
) -> None:
    """A wrong password re-shows the form with the error, and no session is granted."""
    page = new_page()
    page.goto("/login")
    page.fill("input[name=email]", "ada@demo.labelworks")
    page.fill("input[name=password]", "not-the-password")
    with page.expect_navigation():
        page.click("button[type=submit]")
    shown = (page.url, page.locator("[data-testid=login-error]").inner_text())
    page.goto("/")
    assert (shown, page.url) == (
        (f"{demo_server.url}/login", "wrong email or password"),
        f"{demo_server.url}/login",
    )
    # The 401 answer is logged by Chromium as a failed resource; nothing else may be.
    assert [e for e in page_log(page).console_errors if "401" not in e] == []
    assert (page_log(page).page_errors, page_log(page).dialogs) == ([], [])


def test_login_returns_to_the_page_asked_for(
    new_page: PageFactory, demo_server: LiveServer
) -> None:
    """An anonymous visit to a page goes to the login form, and logging in leads back to it."""
    page = new_page()
    page.goto("/settings")
    at_login = page.url
    page.fill("input[name=email]", "lead@demo.labelworks")
    page.fill("input[name=password]", "demo-password")
    with page.expect_navigation():
        page.click("button[type=submit]")
    assert (at_login, page.url, page.locator("h1").inner_text()) == (
        f"{demo_server.url}/login?next=/settings",
        f"{demo_server.url}/settings",
        "Settings",
    )


def test_logout_ends_the_session(
    page_as: LoginFactory, demo_server: LiveServer, page_log: LogLookup
) -> None:
    """The Log out button leads to the login form and later pages need a new login."""
    page = page_as("annotator")
    with page.expect_navigation():
        page.get_by_role("button", name="Log out").click()
    after_logout = page.url
    page.goto("/projects/sentiment-demo/label")
    assert (after_logout, page.url) == (
        f"{demo_server.url}/login",
        f"{demo_server.url}/login?next=/projects/sentiment-demo/label",
    )
    assert page_log(page).problems() == {}


def test_annotator_on_a_project_page_is_sent_to_labeling(
    page_as: LoginFactory, demo_server: LiveServer
) -> None:
    """An annotator opening a project page lands on its labeling page; a manager does not."""
    annotator = page_as("annotator")
    annotator.goto("/projects/sentiment-demo")
    annotator.locator("[data-testid=label-page]").wait_for()
    manager = page_as("manager")
    manager.goto("/projects/sentiment-demo")
    assert (annotator.url, manager.url, manager.locator("h1 a").inner_text()) == (
        f"{demo_server.url}/projects/sentiment-demo/label",
        f"{demo_server.url}/projects/sentiment-demo",
        "sentiment-demo",
    )
