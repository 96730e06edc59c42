"""The assist part of the client: a project's baseline model, and training it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from labelworks.schemas.assist import AssistReportOut, LearningCurveOut
from labelworks.schemas.jobs import JobOut
from labelworks.sdk.paths import segment


class AssistApi:
    """Mixed into ``Client``, which provides ``_request``."""

    _request: Callable[..., httpx.Response]

    def model_report(self, project: str) -> dict[str, Any]:
        """The project's baseline model (spec ``assist``): ``assist`` settings, ``decided``
        final labels, ``next_in`` labels until the next training, ``models`` (each
        training, newest first: ``version``, ``labels``, ``accuracy`` with ``low``/``high``,
        ``macro_f1``, ``counts``, ``suggested``, …), and ``checked``/``confirmed``: current
        suggestions on items decided since, and how many the final label agreed with."""
        response = self._request("GET", f"/projects/{segment(project)}/model")
        return AssistReportOut.model_validate(response.json()).model_dump()

    def learning_curve(self, project: str) -> dict[str, Any]:
        """Active learning simulated on the project's final labels (takes seconds):
        ``points`` (``strategy`` ``uncertainty`` or ``random``, ``labels``, ``accuracy``
        with ``low``/``high``), ``saving`` (at random order's final ``accuracy``, the
        ``random_labels`` and ``uncertainty_labels`` that reach it, and ``saved``), the
        sizes (``decided``, ``used``, ``test``, ``pool``, ``runs``, ``steps``), or a
        ``reason`` when there is no curve. Needs the review right."""
        response = self._request("GET", f"/projects/{segment(project)}/model/curve")
        return LearningCurveOut.model_validate(response.json()).model_dump()

    def train_model(self, project: str) -> dict[str, Any]:
        """Queue a training of the project's baseline model now; returns the job (follow
        it with ``wait_job``). Needs the manage right."""
        response = self._request(
            "POST", f"/projects/{segment(project)}/jobs", json_body={"kind": "train", "params": {}}
        )
        return JobOut.model_validate(response.json()).model_dump()
