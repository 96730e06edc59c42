"""The RBAC matrix: every API route and page, called as every kind of caller, answers with
exactly the status the role policy implies; on SQLite and PostgreSQL.

The expected table is written out here from the policy of ``domain/access.py`` (not computed
by it): admins may do everything everywhere; managers, reviewers and annotators act only in
projects they are members of; annotators only view and label; reviewers also review (items,
status, export, the gold report, final labels, adjudication, acceptance, reviews) but never
manage (spec, import, people, gold answers, pauses, consensus refits); managers and admins
run simulations. Non-members are told a project does not exist (404); a member whose role lacks
the right gets 403. Anonymous callers get 401 from the API and media, and a redirect to the
login page (303) from pages.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from tests.server.rbac_operations import operations_routes
from tests.services.builders import jsonl

from labelworks.config import Settings
from labelworks.domain.escalation import Flag
from labelworks.domain.prompts import prompt_from_dict
from labelworks.domain.spec import spec_from_dict
from labelworks.server.app import create_app
from labelworks.services import assignment, catalog, ingestion, passwords, prompts
from labelworks.services.adjudication import adjudication_queue
from labelworks.services.auth import set_password
from labelworks.services.projects import apply_spec
from labelworks.services.users import add_user
from labelworks.storage import consensus as consensus_store
from labelworks.storage import projects as project_store
from labelworks.storage.engine import Database, utcnow

SPEC: dict[str, Any] = {
    "name": "alpha",
    "description": "the project under test",
    "fields": [{"name": "sentiment", "kind": "choice", "labels": ["pos", "neg"]}],
    "overlap": 2,
    # Every annotator's first annotation waits for review: a worker's is review 1.
    "quality": {"consensus": "majority", "review": {"first_n": 1}},
}
# A small simulation: managers and admins may run one, whatever their projects.
SIMULATION = {
    "spec": {"name": "sim", "fields": [{"name": "label", "kind": "choice", "labels": ["a", "b"]}]},
    "items": 2,
    "annotators": 2,
    "baseline": False,
}

# The same, as the Simulator page's form.
SIMULATION_FORM = {
    "spec": "name: sim\nfields:\n  - {name: label, kind: choice, labels: [a, b]}\n",
    "items": "2",
    "annotators": "2",
    "spammers": "0",
    "skill_low": "0.6",
    "skill_high": "0.9",
    "classes": "",
    "seed": "0",
}

# caller -> (role, member of 'alpha'); everyone but the admin belongs to project 'beta'.
CALLERS: dict[str, tuple[str, bool] | None] = {
    "anonymous": None,
    "admin": ("admin", False),
    "manager": ("manager", True),
    "manager_other": ("manager", False),
    "reviewer": ("reviewer", True),
    "annotator": ("annotator", True),
    "annotator_other": ("annotator", False),
}

# The policy, written out: what each role may do in a project it is a member of.
RIGHTS = {
    "admin": {"view", "label", "review", "manage"},
    "manager": {"view", "label", "review", "manage"},
    "reviewer": {"view", "label", "review"},
    "annotator": {"view", "label"},
}


# A lot of alpha's first import, by the API and by the Lots page's form.
LOT = {"name": "rbac", "aql": 0.01, "ltpd": 0.2, "import_id": 1}
LOT_FORM = {"name": "rbac", "aql": "1", "ltpd": "20", "import_id": "1"}

# The spec editor's forms: alpha's spec as YAML, and a project nobody has made yet.
SPEC_YAML = (
    "name: alpha\nfields:\n  - {name: sentiment, kind: choice, labels: [pos, neg]}\n"
    "overlap: 2\nquality: {consensus: majority, review: {first_n: 1}}\n"
)
NEW_SPEC_YAML = "name: rbac-new\nfields:\n  - {name: s, kind: choice, labels: [a, b]}\n"

# A prompt callers push, and the one every caller reads ('greeting', made with the world).
PROMPT = {"variables": ["topic"], "template": "Write about {{ topic }}."}
GREETING = {"variables": ["who"], "template": "Hello {{ who }}!"}
GENERATION = {"prompt": "greeting@1", "endpoint": "http://127.0.0.1:9/v1", "model": "rbac"}

# A bulk action of the Items table that changes nothing anyone depends on.
ITEM_ACTION: dict[str, Any] = {"action": "priority", "priority": 1}

# An annotator of 'alpha' whom callers add to 'alpha' again; an email nobody has.
TARGET = "annotator@example.com"
NOBODY = "nobody@example.com"
# An annotator of 'alpha' who calls nothing: their password may be reset.
WORKER = "worker@example.com"
MEMBERS_PAGE = "/projects/alpha/settings/members"
UPLOAD = "/projects/alpha/settings/data/import"


@dataclass(frozen=True)
class Route:
    name: str
    method: str
    path: str
    page: bool = False  # pages redirect anonymous visitors to the login page
    body: Any = None


def _project_status(caller: str, action: str, ok: int, page: bool, denied: int = 403) -> int:
    """The status a project-scoped route owes ``caller`` when it needs ``action``."""
    who = CALLERS[caller]
    if who is None:
        return 303 if page else 401
    role, member = who
    if role == "admin":
        return ok
    if not member:
        return 404
    return ok if action in RIGHTS[role] else denied


@dataclass
class World:
    client: TestClient
    tokens: dict[str, str]
    routes: list[Route]
    expected: dict[tuple[str, str], int]


def _final_item(item_id: int, gold_id: int) -> int:
    """Alpha's item that waits for adjudication: neither leased nor gold."""
    return next(i for i in range(1, 13) if i not in (item_id, gold_id))


def _routes(
    item_id: int, submit_id: int, skip_id: int, gold_id: int
) -> list[tuple[Route, dict[str, int]]]:
    """Every route with the status each caller must get."""

    def project(route: Route, action: str, ok: int) -> tuple[Route, dict[str, int]]:
        return route, {c: _project_status(c, action, ok, route.page) for c in CALLERS}

    def anyone(route: Route, ok: int) -> tuple[Route, dict[str, int]]:
        anon = 303 if route.page else 401
        return route, {c: anon if CALLERS[c] is None else ok for c in CALLERS}

    def owner_only(route: Route, ok: int) -> tuple[Route, dict[str, int]]:
        # Assignments belong to one annotator: for anyone else they do not exist.
        return route, {
            c: 401 if CALLERS[c] is None else (ok if c == "annotator" else 404) for c in CALLERS
        }

    def after_admin(entry: tuple[Route, dict[str, int]]) -> tuple[Route, dict[str, int]]:
        # The admin acted first: for the manager there is nothing left to undo (404).
        return entry[0], {**entry[1], "manager": 404}

    people = {
        "anonymous": 401,
        "admin": 200,
        "manager": 200,
        "manager_other": 200,
        "reviewer": 403,
        "annotator": 403,
        "annotator_other": 403,
    }
    # Creating an annotator of 'alpha': admins, and managers of 'alpha'; other roles may not
    # create people at all, whatever the project.
    create_people = {**people, "admin": 201, "manager": 201, "manager_other": 404}
    admin_only = {c: 401 if c == "anonymous" else 201 if c == "admin" else 403 for c in CALLERS}
    # Nobody of that email exists: those who may manage people are told so (404).
    people_404 = {**people, "admin": 404, "manager": 404, "manager_other": 404}
    people_page = {**people, "anonymous": 303}
    no_job = {c: 401 if CALLERS[c] is None else 404 for c in CALLERS}
    members = "/api/v1/projects/alpha/members"
    target = f"{members}/{TARGET}"
    gold = f"/api/v1/projects/alpha/items/{gold_id}/gold"
    items = "/api/v1/projects/alpha/items"
    alpha = "/api/v1/projects/alpha"
    final_id = _final_item(item_id, gold_id)
    decision = {"value": {"sentiment": "neg"}, "note": "rbac"}
    new_user = {"email": "new@example.com", "role": "annotator", "projects": ["alpha"]}
    submit = {"value": {"sentiment": "pos"}, "idempotency_key": "rbac"}
    pages_project = {
        c: _project_status(c, "review", 200, page=True, denied=303) for c in CALLERS
    }  # annotators are sent from the project page to the labeling page
    return [
        anyone(Route("list projects", "GET", "/api/v1/projects"), 200),
        project(Route("project detail", "GET", "/api/v1/projects/alpha"), "view", 200),
        project(Route("apply spec", "PUT", "/api/v1/projects/alpha", body=SPEC), "manage", 200),
        # That spec has no guidelines: version 2 (empty), which everyone who labels must
        # acknowledge before their next task.
        project(
            Route(
                "acknowledge guidelines", "POST", "/api/v1/projects/alpha/guidelines/2/acknowledge"
            ),
            "label",
            204,
        ),
        project(Route("import items", "POST", items, body=[{"text": "item 0"}]), "manage", 200),
        project(Route("list items", "GET", items), "review", 200),
        # Alpha has no boxes field: those who may manage it are told so (422).
        project(
            Route("dataset import", "POST", f"{items}/dataset?format=coco", body={}), "manage", 422
        ),
        # Label Studio exports: into alpha (manage), and a migration onto alpha's name, which
        # is taken (409 for those who may apply specs).
        project(
            Route(
                "label studio import",
                "POST",
                f"{alpha}/label-studio",
                body=[{"id": 1, "data": {"text": "ls item"}}],
            ),
            "manage",
            200,
        ),
        project(
            Route(
                "label studio migration",
                "POST",
                f"{alpha}/label-studio/migration",
                body=[{"id": 1, "data": {"text": "ls item"}}],
            ),
            "manage",
            409,
        ),
        # The Items table's bulk actions: the manage right (outside vendor walls).
        project(
            Route(
                "item actions", "POST", f"{items}/actions", body=ITEM_ACTION | {"ids": [item_id]}
            ),
            "manage",
            200,
        ),
        # Importing from a folder or bucket: the manage right, checked before the body (a
        # file:// URL, refused by those allowed: 422).
        project(
            Route("import source", "POST", f"{alpha}/sources", body={"url": "file:///etc"}),
            "manage",
            422,
        ),
        project(Route("next task", "POST", "/api/v1/projects/alpha/next"), "label", 200),
        project(Route("preview", "GET", f"{alpha}/preview"), "manage", 200),
        project(
            Route(
                "check preview answer",
                "POST",
                f"{alpha}/preview/check",
                body={"item_id": 1, "value": {"sentiment": "pos"}},
            ),
            "manage",
            204,
        ),
        owner_only(
            Route("submit", "POST", f"/api/v1/assignments/{submit_id}/submit", body=submit), 200
        ),
        owner_only(Route("skip", "POST", f"/api/v1/assignments/{skip_id}/skip", body={}), 204),
        # Deleting alpha needs the manage right; it holds the annotation just submitted, so
        # those allowed are refused without force (409) and nothing is deleted.
        project(Route("delete project", "DELETE", alpha), "manage", 409),
        # Archiving alpha: the manage right; its items still wait for annotations, so without
        # force those allowed are refused (409); bringing it back (it is in use) is a no-op.
        project(Route("archive project", "POST", f"{alpha}/archive"), "manage", 409),
        # The Overview's poll: the review right (200: its figures are kept); annotators get the
        # labeling page instead of the Overview, and nothing from its poll (204).
        (
            Route("overview ready", "GET", "/projects/alpha/overview/ready", page=True),
            {
                **{c: _project_status(c, "review", 200, page=True) for c in CALLERS},
                "annotator": 204,
            },
        ),
        project(Route("unarchive project", "POST", f"{alpha}/unarchive"), "manage", 200),
        project(Route("export", "GET", "/api/v1/projects/alpha/export?format=csv"), "review", 200),
        project(Route("dataset export", "GET", f"{alpha}/exports/hf?labels=all"), "review", 200),
        project(Route("status", "GET", "/api/v1/projects/alpha/status"), "review", 200),
        project(Route("reviews", "GET", f"{alpha}/reviews"), "review", 200),
        project(Route("review report", "GET", f"{alpha}/reviews/report"), "review", 200),
        # The admin decides review 1 first: for the manager and the reviewer it is decided
        # (and before 'requeue outdated' sets its annotation aside).
        (
            Route("decide review", "POST", f"{alpha}/reviews/1", body={"decision": "accept"}),
            {
                **{c: _project_status(c, "review", 204, False) for c in CALLERS},
                **dict.fromkeys(("manager", "reviewer"), 409),
            },
        ),
        # Lots: managers make them (admin and manager: lots 1 and 2), reviewers read and
        # audit them (before 'requeue outdated' sets their annotations aside); annotation
        # 999 is in no lot's sample (404).
        project(Route("pii report", "GET", f"{alpha}/pii"), "manage", 200),
        project(Route("lots", "GET", f"{alpha}/lots"), "review", 200),
        project(Route("make lot", "POST", f"{alpha}/lots", body=LOT), "manage", 201),
        project(Route("lot", "GET", f"{alpha}/lots/1"), "review", 200),
        project(
            Route(
                "audit lot sample", "POST", f"{alpha}/lots/1/samples/999", body={"defect": False}
            ),
            "review",
            404,
        ),
        (Route("list users", "GET", "/api/v1/users"), people),
        (Route("create user", "POST", "/api/v1/users", body=new_user), create_people),
        anyone(Route("me", "GET", "/api/v1/me"), 200),
        anyone(Route("new token", "POST", "/api/v1/me/tokens", body={"label": "t"}), 201),
        anyone(Route("my tokens", "GET", "/api/v1/me/tokens"), 200),
        # Token ids are per caller: id 999 is nobody's, so everyone gets 404.
        anyone(Route("revoke token", "DELETE", "/api/v1/me/tokens/999"), 404),
        (Route("issue token", "POST", f"/api/v1/users/{TARGET}/tokens", body={}), admin_only),
        project(Route("add member", "POST", members, body={"email": TARGET}), "manage", 200),
        project(Route("list members", "GET", members), "manage", 200),
        # A generated password for an annotator of 'alpha' (not a caller: sessions stay).
        project(
            Route("reset password", "POST", f"{members}/{WORKER}/password", body={}), "manage", 200
        ),
        (
            Route("user tokens", "GET", f"/api/v1/users/{TARGET}/tokens"),
            {**admin_only, "admin": 200},
        ),
        (
            Route("revoke user token", "DELETE", f"/api/v1/users/{TARGET}/tokens/999"),
            {**admin_only, "admin": 404},
        ),
        project(Route("remove member", "DELETE", f"{members}/{NOBODY}"), "manage", 404),
        (Route("deactivate", "POST", f"/api/v1/users/{NOBODY}/deactivate"), people_404),
        (Route("reactivate", "POST", f"/api/v1/users/{NOBODY}/reactivate"), people_404),
        project(
            Route("mark gold", "PUT", gold, body={"value": {"sentiment": "pos"}}), "manage", 204
        ),
        project(Route("list gold", "GET", "/api/v1/projects/alpha/gold"), "manage", 200),
        project(Route("gold report", "GET", "/api/v1/projects/alpha/gold/report"), "review", 200),
        project(Route("consistency", "GET", f"{alpha}/consistency"), "review", 200),
        after_admin(project(Route("unmark gold", "DELETE", gold), "manage", 204)),
        project(Route("pause", "POST", f"{target}/pause", body={"reason": "rbac"}), "manage", 204),
        after_admin(project(Route("reinstate", "POST", f"{target}/reinstate"), "manage", 204)),
        project(Route("requeue", "POST", f"{target}/requeue", body={}), "manage", 200),
        project(
            Route("requeue outdated", "POST", "/api/v1/projects/alpha/guidelines/requeue", body={}),
            "manage",
            200,
        ),
        project(Route("qualification", "GET", f"{alpha}/qualification"), "review", 200),
        project(
            # Project alpha has no qualification test: nothing to retry (409) for those
            # allowed to ask.
            Route("qualification retry", "POST", f"{target}/qualification/retry"),
            "manage",
            409,
        ),
        project(Route("final labels", "GET", f"{alpha}/final-labels"), "review", 200),
        project(Route("consensus", "GET", f"{alpha}/consensus"), "review", 200),
        project(Route("refit consensus", "POST", f"{alpha}/consensus/refit"), "manage", 200),
        project(Route("adjudication queue", "GET", f"{alpha}/adjudication"), "review", 200),
        project(
            Route("adjudicate", "POST", f"{items}/{final_id}/adjudicate", body=decision),
            "review",
            204,
        ),
        project(Route("acceptance", "GET", f"{alpha}/acceptance"), "review", 200),
        project(Route("agreement", "GET", f"{alpha}/agreement"), "review", 200),
        # Right after the report was measured above: kept, so the poll says reload (200).
        project(
            Route("agreement ready", "GET", "/projects/alpha/agreement/ready", page=True),
            "review",
            200,
        ),
        project(
            Route("agreement page", "GET", "/projects/alpha/agreement", page=True), "review", 200
        ),
        (Route("simulate", "POST", "/api/v1/simulations", body=SIMULATION), people),
        project(Route("escalations", "GET", f"{alpha}/escalations"), "review", 200),
        # The admin resolves escalation 1 first: for the manager and the reviewer it is
        # resolved already.
        (
            Route("resolve", "POST", f"{alpha}/escalations/1/resolve", body={"note": "rbac"}),
            {
                **{c: _project_status(c, "review", 200, False) for c in CALLERS},
                **dict.fromkeys(("manager", "reviewer"), 409),
            },
        ),
        project(Route("edge cases", "GET", f"{alpha}/edge-cases"), "review", 200),
        project(Route("audit trail", "GET", "/api/v1/projects/alpha/audit"), "manage", 200),
        project(
            Route("audit export", "GET", "/api/v1/projects/alpha/audit/export?format=csv"),
            "manage",
            200,
        ),
        (Route("people page", "GET", "/people", page=True), people_page),
        anyone(Route("index page", "GET", "/", page=True), 200),
        (Route("project page", "GET", "/projects/alpha", page=True), pages_project),
        project(Route("items page", "GET", "/projects/alpha/items", page=True), "review", 200),
        project(Route("item", "GET", f"{alpha}/items/{item_id}"), "review", 200),
        (Route("people tab", "GET", "/projects/alpha/people", page=True), pages_project),
        (Route("settings tab", "GET", "/projects/alpha/settings", page=True), pages_project),
        project(
            Route("item page", "GET", f"/projects/alpha/items/{item_id}", page=True), "review", 200
        ),
        project(Route("label page", "GET", "/projects/alpha/label", page=True), "label", 200),
        project(Route("quality page", "GET", "/projects/alpha/quality", page=True), "review", 200),
        project(
            Route("consistency page", "GET", "/projects/alpha/consistency", page=True),
            "review",
            200,
        ),
        project(Route("review page", "GET", "/projects/alpha/review", page=True), "review", 200),
        project(
            Route("privacy page", "GET", "/projects/alpha/settings/privacy", page=True),
            "manage",
            200,
        ),
        project(Route("lots page", "GET", "/projects/alpha/lots", page=True), "review", 200),
        project(Route("lot page", "GET", "/projects/alpha/lots/1", page=True), "review", 200),
        project(Route("audit page", "GET", "/projects/alpha/audit", page=True), "manage", 200),
        project(
            Route("escalations page", "GET", "/projects/alpha/escalations", page=True),
            "review",
            200,
        ),
        project(
            Route("edge cases page", "GET", "/projects/alpha/edge-cases", page=True), "review", 200
        ),
        project(
            Route("adjudication page", "GET", "/projects/alpha/adjudication", page=True),
            "review",
            200,
        ),
        (Route("simulator page", "GET", "/simulate", page=True), people_page),
        project(
            Route("members page", "GET", "/projects/alpha/settings/members", page=True),
            "manage",
            200,
        ),
        project(
            Route("data page", "GET", "/projects/alpha/settings/data", page=True), "review", 200
        ),
        # The Data page's upload: the file as the body, its format from its name.
        project(
            Route("upload", "POST", f"{UPLOAD}?file=rbac.json", body=[{"text": "item 0"}]),
            "manage",
            200,
        ),
        # Its boxes upload (COCO, YOLO, VOC): alpha has no boxes field, so those who may
        # manage it are told so (422); the others never reach the file.
        project(
            Route(
                "boxes upload",
                "POST",
                "/projects/alpha/settings/data/boxes?file=rbac.json&format=coco",
                body={"images": [], "annotations": [], "categories": []},
            ),
            "manage",
            422,
        ),
        anyone(Route("settings page", "GET", "/settings", page=True), 200),
        # The prompt registry belongs to no project: admins and managers push (the admin
        # first, so for the managers the content is the latest version's already: 200),
        # everyone signed in reads, diffs and renders.
        (
            Route("push prompt", "POST", "/api/v1/prompts/rbac", body=PROMPT),
            {**people, "admin": 201},
        ),
        anyone(Route("list prompts", "GET", "/api/v1/prompts"), 200),
        anyone(Route("prompt", "GET", "/api/v1/prompts/greeting?version=1"), 200),
        anyone(Route("prompt diff", "GET", "/api/v1/prompts/greeting/diff?a=1&b=1"), 200),
        anyone(
            Route(
                "render prompt",
                "POST",
                "/api/v1/prompts/greeting/render",
                body={"variables": {"who": "rbac"}},
            ),
            200,
        ),
        anyone(Route("prompts page", "GET", "/prompts", page=True), 200),
        anyone(Route("prompt page", "GET", "/prompts/greeting", page=True), 200),
        # Background jobs: everyone lists the jobs they may see; an export job needs the
        # review right; job 999 does not exist for anyone.
        anyone(Route("list jobs", "GET", "/api/v1/jobs"), 200),
        anyone(Route("jobs page", "GET", "/jobs", page=True), 200),
        project(Route("project jobs page", "GET", "/projects/alpha/jobs", page=True), "view", 200),
        project(
            Route("start export job", "POST", f"{alpha}/jobs/export", body={"format": "jsonl"}),
            "review",
            202,
        ),
        project(
            Route("start pii job", "POST", f"{alpha}/jobs", body={"kind": "pii", "params": {}}),
            "manage",
            202,
        ),
        # The baseline model: its report needs the review right, training the manage right
        # (alpha has no assist section: the job is queued and fails with the reason).
        project(Route("model report", "GET", f"{alpha}/model"), "review", 200),
        # Active learning simulated on its final labels (alpha has no assist: the reason).
        project(Route("model learning curve", "GET", f"{alpha}/model/curve"), "review", 200),
        project(
            Route("start train job", "POST", f"{alpha}/jobs", body={"kind": "train"}),
            "manage",
            202,
        ),
        # Its page (alpha has none: the page says how to turn it on; ?format=csv, its
        # versions' CSV, is the same route).
        project(Route("model page", "GET", "/projects/alpha/model", page=True), "review", 200),
        project(
            Route("model curve page", "GET", "/projects/alpha/model/curve", page=True),
            "review",
            200,
        ),
        # Predictions and evaluation: pushing needs the manage right, the rest the review
        # right (no model 'none' has predictions: 404 for those who may ask).
        project(
            Route(
                "push predictions",
                "POST",
                f"{alpha}/predictions",
                body={
                    "predictions": [
                        {"item_id": item_id, "model": "rbac", "value": {"sentiment": "pos"}}
                    ]
                },
            ),
            "manage",
            200,
        ),
        project(Route("predicted models", "GET", f"{alpha}/predictions/models"), "review", 200),
        project(
            Route("run evaluation", "POST", f"{alpha}/eval/runs", body={"model": "none"}),
            "review",
            404,
        ),
        project(Route("list eval runs", "GET", f"{alpha}/eval/runs"), "review", 200),
        project(Route("eval run", "GET", f"{alpha}/eval/runs/999"), "review", 404),
        project(
            Route("compare models", "POST", f"{alpha}/eval/compare", body={"a": "x", "b": "y"}),
            "review",
            404,
        ),
        # The leaderboard: the review right (alpha has no campaign: 422 for those who may ask;
        # its page says how to set one up).
        project(Route("leaderboard", "GET", f"{alpha}/leaderboard"), "review", 422),
        project(
            Route("leaderboard page", "GET", "/projects/alpha/leaderboard", page=True),
            "review",
            200,
        ),
        project(
            Route("evaluation page", "GET", "/projects/alpha/evaluation", page=True), "review", 200
        ),
        # LLM judges: reading needs the review right, running the manage right (alpha has no
        # campaign: 422 for those who may ask, before anything is queued).
        project(Route("judges", "GET", f"{alpha}/judges"), "review", 422),
        project(Route("run judge", "POST", f"{alpha}/judges/rbac/runs"), "manage", 422),
        project(Route("calibration", "GET", f"{alpha}/judges/rbac/calibration"), "review", 422),
        project(Route("judges page", "GET", "/projects/alpha/judges", page=True), "review", 200),
        project(
            Route("calibration page", "GET", "/projects/alpha/judges/rbac/calibration", page=True),
            "review",
            422,
        ),
        # A generation of 'greeting' over alpha's items: queued (its endpoint answers nobody;
        # the job fails when a worker runs it, after the matrix).
        project(Route("generate", "POST", f"{alpha}/generations", body=GENERATION), "manage", 202),
        # The generations so far (none has replied): the review right, as evaluations; the
        # Generate page shows reviewers the list without the form.
        project(Route("generations", "GET", f"{alpha}/generations"), "review", 200),
        project(
            Route("generate page", "GET", "/projects/alpha/evaluation/generate", page=True),
            "review",
            200,
        ),
        project(
            Route("eval run page", "GET", "/projects/alpha/evaluation/runs/999", page=True),
            "review",
            404,
        ),
        project(
            Route("compare page", "GET", "/projects/alpha/evaluation/compare?a=x&b=y", page=True),
            "review",
            200,
        ),
        (Route("job", "GET", "/api/v1/jobs/999"), no_job),
        (Route("cancel job", "POST", "/api/v1/jobs/999/cancel"), no_job),
        (Route("job download", "GET", "/api/v1/jobs/999/download"), no_job),
        project(Route("media", "GET", "/media/alpha/pic.png"), "view", 200),
        # An item's object media: alpha's items name none, so all who may see the project
        # get the same 404 as those who may not.
        project(Route("object media", "GET", "/media-objects/alpha/1/image"), "view", 404),
        # Media processing: the report needs review, processing manage; derived files
        # (thumbnails, peaks) are served like the media, to anyone who sees the project.
        project(Route("media report", "GET", f"{alpha}/media"), "review", 200),
        project(Route("process media", "POST", f"{alpha}/media/process", body={}), "manage", 202),
        project(
            Route("media page", "GET", "/projects/alpha/settings/media", page=True), "review", 200
        ),
        project(
            Route("media thumbnail", "GET", "/media-thumbnails/alpha/1-x.webp", page=True),
            "view",
            200,
        ),
        # The spec history: reading needs the view right, the dry run the apply's.
        project(Route("spec revisions", "GET", f"{alpha}/spec/revisions"), "view", 200),
        project(Route("spec revision", "GET", f"{alpha}/spec/revisions/1"), "view", 200),
        project(Route("spec diff", "GET", f"{alpha}/spec/diff?a=1&b=1"), "view", 200),
        project(Route("check spec", "POST", f"{alpha}/spec/check", body=SPEC), "manage", 200),
        project(Route("guideline versions", "GET", f"{alpha}/guidelines"), "view", 200),
        project(Route("guideline version", "GET", f"{alpha}/guidelines/1"), "view", 200),
        (Route("new project page", "GET", "/projects/new", page=True), people_page),
        (
            Route("spec history page", "GET", "/projects/alpha/settings/history", page=True),
            pages_project,
        ),
        (
            Route("guideline page", "GET", "/projects/alpha/settings/guidelines/1", page=True),
            pages_project,
        ),
        *operations_routes(Route, project, CALLERS),
    ]


@pytest.fixture
def world(db: Database, tmp_path: Path) -> Iterator[World]:
    """Projects 'alpha' and 'beta' with items, one caller of each kind, a media file, and
    two leases the annotator holds (one to submit in 'alpha', one to skip in 'beta')."""
    apply_spec(db, spec_from_dict(SPEC), guidelines="# Rules")
    apply_spec(db, spec_from_dict({**SPEC, "name": "beta"}), guidelines=None)
    tokens: dict[str, str] = {}
    ids: dict[str, int] = {}
    for caller, who in CALLERS.items():
        if who is None:
            continue
        role, member = who
        projects = (["alpha"] if member else []) + ([] if role == "admin" else ["beta"])
        made = add_user(
            db, f"{caller}@example.com", role=role, projects=projects or None, with_token=True
        )
        assert made.token is not None
        tokens[caller], ids[caller] = made.token, made.user.id
    for project in ("alpha", "beta"):
        ingestion.import_items(
            db,
            project,
            jsonl([{"text": f"item {i}"} for i in range(12)]),
            format="jsonl",
            source="items.jsonl",
        )
    to_submit = assignment.next_task_for(db, "alpha", ids["annotator"])
    to_skip = assignment.next_task_for(db, "beta", ids["annotator"])
    assert to_submit is not None and to_skip is not None
    media = tmp_path / "data" / "media" / "alpha"
    media.mkdir(parents=True)
    (media / "pic.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 16)
    thumbnails = tmp_path / "data" / "thumbnails" / "alpha" / "items"
    thumbnails.mkdir(parents=True)
    (thumbnails / "1-x.webp").write_bytes(b"RIFF\0\0\0\0WEBP")
    gold_id = next(i for i in range(1, 13) if i != to_submit.item_id)  # alpha's, not leased
    with db.write() as conn:
        alpha = project_store.by_name(conn, "alpha")
        assert alpha is not None
        consensus_store.record_final(
            conn,
            item_id=_final_item(to_submit.item_id, gold_id),
            project_id=alpha.id,
            value={"sentiment": "pos"},
            method="majority",
            confidence=0.5,
            fields={"sentiment": 0.5},
            annotation_ids=[],
            status="adjudication",
            now=utcnow(),
        )
    worker = add_user(db, "worker@example.com", role="annotator", projects=["alpha"]).user.id
    add_user(db, "hand@acme.example", role="annotator", vendor="acme", projects=["alpha"])
    work = assignment.next_task_for(db, "alpha", worker)
    assert work is not None
    assignment.submit_annotation(
        db, work.assignment_id, worker, value={"sentiment": "pos"}, seconds=1, idempotency_key="w"
    )  # review 1
    flagged = assignment.next_task_for(db, "alpha", worker)
    assert flagged is not None
    assignment.skip_task(
        db, flagged.assignment_id, worker, flag=Flag("ambiguous", "rbac")
    )  # escalation 1
    prompts.push_prompt(db, "greeting", prompt_from_dict(GREETING))
    table = _routes(to_submit.item_id, to_submit.assignment_id, to_skip.assignment_id, gold_id)
    app = create_app(Settings(data_dir=tmp_path / "data"), database=db)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield World(
            client,
            tokens,
            [route for route, _ in table],
            {(route.name, c): code for route, codes in table for c, code in codes.items()},
        )


def _call(world: World, route: Route, caller: str) -> int:
    headers = {}
    if caller in world.tokens:
        headers["Authorization"] = f"Bearer {world.tokens[caller]}"
    body = route.body
    if route.name == "create user":  # each caller creates a person of their own
        body = {**body, "email": body["email"].replace("@", f"-{caller}@")}
    response = world.client.request(
        route.method, route.path, json=body, headers=headers, follow_redirects=False
    )
    return response.status_code


def test_rbac_matrix(world: World) -> None:
    """Every route as every caller: the whole table of statuses is exactly the policy's."""
    seen = {
        (route.name, caller): _call(world, route, caller)
        for route in world.routes
        for caller in CALLERS
    }
    assert seen == world.expected


def test_anonymous_pages_redirect_to_login_with_next(world: World) -> None:
    """Anonymous visitors of a page are sent to the login page, which brings them back
    (to the same query: the compare page's models come back)."""
    locations = {
        route.path: world.client.get(route.path, follow_redirects=False).headers.get("location")
        for route in world.routes
        if route.page
    }
    assert locations == {
        "/": "/login",
        **{
            route.path: f"/login?next={quote(route.path)}"
            for route in world.routes
            if route.page and route.path != "/"
        },
    }


def _session(world: World, caller: str) -> tuple[TestClient, str]:
    """A client logged in as ``caller`` through the login form (anonymous: not logged in),
    and its session's CSRF token."""
    client = TestClient(world.client.app, raise_server_exceptions=False, follow_redirects=False)
    page = client.get("/login").text
    if CALLERS[caller] is not None:
        form = {"email": f"{caller}@example.com", "password": "correct horse"}
        done = client.post("/login", data={**form, "csrf_token": _csrf(page)})
        assert done.status_code == 303, done.text
        page = client.get("/settings").text
    return client, _csrf(page)


def _csrf(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found is not None
    return found.group(1)


def test_page_forms_by_session(world: World, db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    """The Quality page's, the gold card's, the Adjudication page's, the Simulator's and
    the Review page's forms, posted with the session's CSRF token by every caller: back to
    the page (303) where the policy lets them manage (a simulation's report: 200), else
    the policy's refusal; the admin acts first, so the manager (and the reviewer, who may
    adjudicate and review) finds nothing left to undo (a review decided already: 409)."""
    monkeypatch.setattr(
        passwords, "_hasher", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    )
    for caller, who in CALLERS.items():
        if who is not None:
            set_password(db, f"{caller}@example.com", "correct horse")
    item = catalog.list_items(db, "alpha", limit=1).items[0].id
    quality, gold = "/projects/alpha/quality", f"/projects/alpha/items/{item}/gold"
    (waiting,) = [case.item_id for case in adjudication_queue(db, "alpha")]
    after_admin = {"manager": 404, "reviewer": 404}
    after_admin_review = {"manager": 409, "reviewer": 409}  # review 1: decided by the admin

    def managed(ok: int) -> dict[str, int]:
        return {c: _project_status(c, "manage", ok, page=False) for c in CALLERS}

    # Simulations belong to no project: managers and admins run them, nobody else.
    simulators = dict.fromkeys(("admin", "manager", "manager_other"), 200)
    creators = {
        "anonymous": 401,
        **dict.fromkeys(("manager", "manager_other"), 409),
        **dict.fromkeys(("reviewer", "annotator", "annotator_other"), 403),
    }
    creators_check = {**creators, "manager": 200, "manager_other": 200}

    def managed_ok(ok: int) -> dict[str, int]:
        return {c: _project_status(c, "manage", ok, page=False) for c in CALLERS}

    forms: list[tuple[str, dict[str, str], dict[str, int]]] = [
        (f"{quality}/pause", {"email": TARGET, "reason": "rbac"}, {}),
        # The Items tab's bulk form: the manage right, back to the table (303).
        (
            "/projects/alpha/items/actions",
            {"action": "priority", "ids": str(item), "priority": "1", "query": "status=new"},
            {},
        ),
        (f"{quality}/requeue", {"email": TARGET}, {}),
        (f"{quality}/reinstate", {"email": TARGET}, {"manager": 404}),
        # alpha has no qualification test: the page comes back with the refusal (409).
        (
            f"{quality}/qualification-retry",
            {"email": TARGET},
            {c: _project_status(c, "manage", 409, page=False) for c in CALLERS},
        ),
        (gold, {"value": '{"sentiment": "pos"}', "explanation": "rbac"}, {}),
        (f"{gold}/remove", {}, {"manager": 404}),
        (f"/projects/alpha/adjudication/{waiting}", {"take": "proposal"}, after_admin),
        ("/simulate", SIMULATION_FORM, {**simulators, "annotator_other": 403}),
        ("/projects/alpha/review/1", {"decision": "accept"}, after_admin_review),
        # Lots: made with the manage right; a verdict on annotation 999 (in no sample) needs
        # the review right and finds nothing (404).
        ("/projects/alpha/lots", LOT_FORM, {}),
        (
            "/projects/alpha/lots/1/samples/999",
            {"verdict": "ok"},
            {c: _project_status(c, "review", 404, page=False) for c in CALLERS},
        ),
        # Escalation 1: the review right, resolved by the admin first (409 after that).
        ("/projects/alpha/escalations/1/resolve", {"note": "rbac"}, after_admin_review),
        # The spec editor: its check and review answer with themselves (200), the manage
        # right; Apply goes back to the tab (303); New project is for admins and managers,
        # and the admin's creates it first (for the managers the name is taken: 409).
        ("/projects/alpha/settings/check", {"spec": SPEC_YAML}, managed_ok(200)),
        ("/projects/alpha/settings/review", {"spec": SPEC_YAML}, managed_ok(200)),
        ("/projects/alpha/settings/apply", {"spec": SPEC_YAML}, {}),
        ("/projects/new/check", {"spec": NEW_SPEC_YAML}, {**creators_check, "admin": 200}),
        ("/projects/new", {"spec": NEW_SPEC_YAML}, {**creators, "admin": 303}),
        # The Members page answers with itself (200, or the refusal's status): the manage
        # right; issuing and revoking others' tokens is for admins only (a manager: 403).
        (f"{MEMBERS_PAGE}/add", {"email": TARGET}, managed(200)),
        (f"{MEMBERS_PAGE}/password", {"email": WORKER}, managed(200)),
        (f"{MEMBERS_PAGE}/active", {"email": NOBODY, "active": "false"}, managed(404)),
        (f"{MEMBERS_PAGE}/remove", {"email": NOBODY}, managed(404)),
        # The admin creates the person first: for the manager they exist already.
        (f"{MEMBERS_PAGE}/create", {"email": "made@example.com"}, {**managed(200), "manager": 409}),
        (f"{MEMBERS_PAGE}/tokens", {"email": WORKER}, {**managed(200), "manager": 403}),
        (
            f"{MEMBERS_PAGE}/tokens/999/revoke",
            {"email": WORKER},
            {**managed(404), "manager": 403},
        ),
        # The Data page's Delete: the manage right; a wrong name confirms nothing (422).
        ("/projects/alpha/settings/delete", {"confirm": "not alpha"}, managed(422)),
        # The Data page's folder-or-bucket form: the manage right; file:// is refused (422).
        ("/projects/alpha/settings/data/source", {"url": "file:///etc"}, managed(422)),
        # Archive without force: alpha's work is open (409, the page again); unarchive: back
        # to the Overview (303).
        ("/projects/alpha/settings/archive", {}, managed(409)),
        ("/projects/alpha/settings/unarchive", {}, {}),
        # The Jobs tab's export form: the review right, back to the tab (303); job 999 is
        # nobody's to cancel.
        (
            "/projects/alpha/jobs/export",
            {"format": "jsonl"},
            {c: _project_status(c, "review", 303, page=False) for c in CALLERS},
        ),
        ("/jobs/999/cancel", {}, {c: 401 if CALLERS[c] is None else 404 for c in CALLERS}),
        # The Model tab's Train now: the manage right, back to the tab (303).
        ("/projects/alpha/model/train", {}, {}),
        # The Evaluation tab's form: the review right; a model without predictions is
        # refused beside the form (303 back to the tab).
        (
            "/projects/alpha/evaluation/run",
            {"model": "none"},
            {c: _project_status(c, "review", 303, page=False) for c in CALLERS},
        ),
    ]
    sessions = {caller: _session(world, caller) for caller in CALLERS}
    seen = {
        (path, caller): client.post(path, data={**data, "csrf_token": csrf}).status_code
        for path, data, _ in forms
        for caller, (client, csrf) in sessions.items()
    }
    expected = {
        (path, caller): after.get(caller, _project_status(caller, "manage", 303, page=False))
        for path, _, after in forms
        for caller in CALLERS
    }
    assert seen == expected
