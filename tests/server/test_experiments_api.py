"""The experiment routes in-process with Bearer tokens: start one, list, status, analysis
(its figures, differences, power and verdict), stop; refused bodies and parameters; who
may do each (managers outside vendor walls start and stop, reviewers read, vendors' staff
and annotators are refused)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from tests.server.worlds import Bearer, add_people, api_client, staff
from tests.services import experiment_world

from labelworks.domain.spec import spec_from_dict
from labelworks.services.projects import apply_spec
from labelworks.storage.engine import Database

URL = "/api/v1/projects/exp/experiments"
NEW = {"name": "ui", "unit": "item", "arms": [{"name": "old"}, {"name": "new"}], "seed": 5}


@dataclass
class Env(Bearer):
    db: Database

    def ok(self, who: str, method: str, url: str, status: int = 200, **kwargs: Any) -> Any:
        response = self.call(who, method, url, **kwargs)
        assert response.status_code == status, response.text
        return response.json()


def _env(db: Database, tmp_path: Path, rounds: int) -> Iterator[Env]:
    apply_spec(db, spec_from_dict(experiment_world.SPEC), guidelines="# Rules")
    apply_spec(db, spec_from_dict({**experiment_world.SPEC, "name": "other"}), guidelines=None)
    tokens, _ = add_people(db, staff("exp"))
    experiment_world.build(db, project_exists=True, rounds=rounds)
    with api_client(db, tmp_path) as client:
        yield Env(client, tokens, db)


@pytest.fixture
def env(db: Database, tmp_path: Path) -> Iterator[Env]:
    """Project 'exp' under experiment 'guide' (see tests/services/experiment_world.py),
    with the staff of tests/server/worlds.py as members, and project 'other'."""
    yield from _env(db, tmp_path, 8)


@pytest.fixture
def bare(db: Database, tmp_path: Path) -> Iterator[Env]:
    """The same before anyone worked."""
    yield from _env(db, tmp_path, 0)


def test_start_list_read_analyse_and_stop(env: Env) -> None:
    """A manager starts an item experiment (its 40 items split 20/20);
    a reviewer lists both, reads the status of 'guide' and its analysis, where B is the
    more accurate arm; the manager stops it, and a second stop is a 409."""
    made = env.ok("manager", "POST", URL, 201, json=NEW)
    listed = env.ok("reviewer", "GET", URL)
    status = env.ok("reviewer", "GET", f"{URL}/guide")
    analysis = env.ok("reviewer", "GET", f"{URL}/guide/analysis", params={"min_effect": 0.1})
    gold = analysis["differences"]["gold_accuracy"]
    assert (made["name"], made["unit"], made["status"], made["treatment"], made["seed"]) == (
        "ui",
        "item",
        "running",
        None,
        5,
    )
    assert [e["name"] for e in listed] == ["guide", "ui"]
    # the 8 annotators of the world, ann1, ann2 and the reviewer: 11 who label
    assert ([a["name"] for a in status["arms"]], sum(a["units"] for a in status["arms"])) == (
        ["A", "B"],
        11,
    )
    assert sum(a["annotations"] for a in status["arms"]) == 64
    assert (
        [a["name"] for a in analysis["arms"]],
        gold["value"] > 0,
        analysis["min_effect"],
        analysis["power"]["gold_accuracy"]["min_effect"],
        analysis["verdict"][0].startswith("B is "),
    ) == (["A", "B"], True, 0.1, 0.1, True)
    items = env.ok("reviewer", "GET", f"{URL}/ui")
    assert [a["units"] for a in items["arms"]] == [20, 20]
    stopped = env.ok("manager", "POST", f"{URL}/guide/stop")
    again = env.call("manager", "POST", f"{URL}/guide/stop")
    assert (stopped["status"], again.status_code, again.json()["code"]) == (
        "stopped",
        409,
        "conflict",
    )


BAD = [
    ({**NEW, "arms": [{"name": "only"}]}, "arms"),
    ({**NEW, "arms": [{"name": "a"}, {"name": "b"}, {"name": "c"}]}, "arms"),
    ({**NEW, "unit": "team"}, "unit"),
    ({**NEW, "treatment": "colours"}, "treatment"),
    ({**NEW, "seed": -1}, "seed"),
    ({**NEW, "extra": 1}, "extra"),
    ({**NEW, "name": ""}, "name"),
    ({**NEW, "arms": [{"name": "a"}, {"name": "a"}]}, "arms[1].name"),
]


def test_bad_bodies_and_parameters_are_refused_and_change_nothing(bare: Env) -> None:
    """Each malformed experiment is a 422 naming the field and no experiment is made; a
    minimum effect outside (0, 1) is a 422 and an unknown experiment a 404."""
    answers = []
    for body, where in BAD:
        response = bare.call("manager", "POST", URL, json=body)
        answers.append((response.status_code, where in response.json()["message"]))
    bad = bare.call("reviewer", "GET", f"{URL}/guide/analysis", params={"min_effect": 1.5})
    missing = bare.call("reviewer", "GET", f"{URL}/nope/analysis")
    assert answers == [(422, True)] * len(BAD)
    assert (bad.status_code, missing.status_code) == (422, 404)
    assert [e["name"] for e in bare.ok("manager", "GET", URL)] == ["guide"]


REFUSED = [
    ("acme_lead", "POST", "", 403),
    ("acme_lead", "GET", "", 403),
    ("acme_lead", "GET", "/guide/analysis", 403),
    ("reviewer", "POST", "", 403),
    ("reviewer", "POST", "/guide/stop", 403),
    ("ann1", "GET", "/guide", 403),
    ("outsider", "GET", "", 404),
    ("outsider", "POST", "/guide/stop", 404),
]


def test_who_may_not(bare: Env) -> None:
    """Vendors' staff, reviewers (for writes), annotators and people outside the project
    are refused, each with its status; the experiment stays running and alone."""
    got = []
    for who, method, path, _ in REFUSED:
        body = NEW if method == "POST" and not path else None
        got.append((who, method, path, bare.call(who, method, URL + path, json=body).status_code))
    assert got == REFUSED
    assert bare.ok("manager", "GET", f"{URL}/guide")["experiment"]["status"] == "running"
    assert [e["name"] for e in bare.ok("manager", "GET", URL)] == ["guide"]
