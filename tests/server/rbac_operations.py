"""The RBAC matrix's rows for running the operation (issue 13): people analytics, coaching,
capacity, vendors, experiments, webhooks and the weekly report. Kept beside
``test_rbac`` (which adds them to its one matrix) so that module stays readable.

Expected statuses are written out from the policy, as ``test_rbac``'s are: figures of
people's work need the review right (annotators 403), changing anything the manage right;
vendors' records are read by managers and admins and written by admins only; a caller who
is not a member is told the project does not exist (404)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

ALPHA = "/api/v1/projects/alpha"
# An annotator of 'alpha' who calls nothing (test_rbac's WORKER): whose coaching page
# callers open, so the annotator caller reads someone else's (403), not their own.
PERSON = "worker@example.com"
EXPERIMENT = {"name": "rbac", "unit": "annotator", "arms": [{"name": "A"}, {"name": "B"}]}
WEBHOOK = {"url": "http://127.0.0.1:9/hook", "events": ["item.finalised"]}
TERMS = {"currency": "USD", "per_annotation": {"choice": 0.05}}

Entry = tuple[Any, dict[str, int]]


def operations_routes(
    route: Callable[..., Any],
    project: Callable[[Any, str, int], Entry],
    callers: dict[str, tuple[str, bool] | None],
) -> list[Entry]:
    """``route`` builds a ``Route``; ``project`` gives a project-scoped row its statuses."""

    def table(r: Any, **codes: int) -> Entry:
        anon = 303 if r.page else 401
        return r, {c: anon if callers[c] is None else codes[c] for c in callers}

    reviewers = {
        "admin": 200,
        "manager": 200,
        "manager_other": 200,
        "reviewer": 200,
        "annotator": 403,
        "annotator_other": 403,
    }
    managers = {**reviewers, "reviewer": 403}
    admins = {c: 403 for c in callers} | {"admin": 200}
    return [
        # People analytics: the review right in a project, and across the projects the
        # caller reviews; annotators are sent from project pages to their labeling page.
        project(route("people analytics", "GET", f"{ALPHA}/people"), "review", 200),
        table(route("people overall", "GET", "/api/v1/people"), **reviewers),
        (
            route("people tab", "GET", "/projects/alpha/people", page=True),
            {**project(route("x", "GET", "x", page=True), "review", 200)[1], "annotator": 303},
        ),
        table(route("people analytics page", "GET", "/people/analytics", page=True), **reviewers),
        # Coaching: managers read anyone's page and write notes; everyone their own page.
        project(route("coaching", "GET", f"{ALPHA}/people/{PERSON}/coaching"), "manage", 200),
        # One's own page in a project: the admin, no member of alpha, has none (404).
        (
            route("my coaching", "GET", f"{ALPHA}/me/coaching"),
            {**project(route("x", "GET", "x"), "view", 200)[1], "admin": 404},
        ),
        project(
            route("coaching note", "POST", f"{ALPHA}/people/{PERSON}/notes", body={"body": "rbac"}),
            "manage",
            201,
        ),
        project(
            route("coaching page", "GET", f"/projects/alpha/people/{PERSON}", page=True),
            "manage",
            200,
        ),
        (
            route("my progress page", "GET", "/projects/alpha/me", page=True),
            {**project(route("x", "GET", "x", page=True), "view", 200)[1], "admin": 404},
        ),
        # Capacity: a project's forecast with the review right; across projects, managers.
        project(route("forecast", "GET", f"{ALPHA}/forecast"), "review", 200),
        table(route("capacity", "GET", "/api/v1/capacity"), **managers),
        project(route("capacity tab", "GET", "/projects/alpha/capacity", page=True), "review", 200),
        table(route("capacity page", "GET", "/capacity", page=True), **managers),
        # Vendors ('acme' has a worker in alpha): managers read, admins write terms.
        table(route("vendors", "GET", "/api/v1/vendors"), **managers),
        table(route("vendors page", "GET", "/vendors", page=True), **managers),
        table(route("vendor terms", "PUT", "/api/v1/vendors/acme/terms", body=TERMS), **admins),
        table(route("vendor", "GET", "/api/v1/vendors/acme"), **managers),
        table(route("vendor page", "GET", "/vendors/acme", page=True), **managers),
        table(route("vendor terms get", "GET", "/api/v1/vendors/acme/terms"), **managers),
        table(
            route("vendor statement", "GET", "/api/v1/vendors/acme/statement?period=2026-11"),
            **managers,
        ),
        # Experiments: read with the review right, started and stopped with the manage right.
        # The admin starts it first: the manager's start of the same name is a conflict.
        (
            route("start experiment", "POST", f"{ALPHA}/experiments", body=EXPERIMENT),
            {**project(route("x", "POST", "x"), "manage", 201)[1], "manager": 409},
        ),
        project(route("experiments", "GET", f"{ALPHA}/experiments"), "review", 200),
        project(route("experiment", "GET", f"{ALPHA}/experiments/rbac"), "review", 200),
        project(
            route("experiment analysis", "GET", f"{ALPHA}/experiments/rbac/analysis"),
            "review",
            200,
        ),
        project(
            route("experiments page", "GET", "/projects/alpha/experiments", page=True),
            "review",
            200,
        ),
        project(
            route("experiment page", "GET", "/projects/alpha/experiments/rbac", page=True),
            "review",
            200,
        ),
        # Webhooks: the project's managers.
        project(route("add webhook", "POST", f"{ALPHA}/webhooks", body=WEBHOOK), "manage", 201),
        project(route("webhooks", "GET", f"{ALPHA}/webhooks"), "manage", 200),
        project(route("deliveries", "GET", f"{ALPHA}/webhooks/deliveries"), "manage", 200),
        project(
            route("webhooks page", "GET", "/projects/alpha/settings/webhooks", page=True),
            "manage",
            200,
        ),
        # The weekly report: the review right.
        project(route("report", "GET", f"{ALPHA}/report"), "review", 200),
        project(route("report page", "GET", "/projects/alpha/report", page=True), "review", 200),
        project(
            route("report download", "GET", "/projects/alpha/report/download?format=md", page=True),
            "review",
            200,
        ),
    ]
