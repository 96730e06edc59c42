"""The experiments part of the client: A/B experiments on the operation — start one
(annotators or items split at random between two arms), list them, read one's status,
analyse it, stop it."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import httpx
from pydantic import TypeAdapter

from labelworks.schemas.experiments import (
    ExperimentAnalysisOut,
    ExperimentOut,
    ExperimentStatusOut,
)
from labelworks.sdk.paths import segment

_EXPERIMENTS = TypeAdapter(list[ExperimentOut])


class ExperimentsApi:
    """Mixed into ``Client``, which provides ``_request``."""

    _request: Callable[..., httpx.Response]

    def experiments(self, project: str) -> list[dict[str, Any]]:
        """The project's experiments, oldest first: ``name``, ``unit``, ``arms`` (``name``,
        ``description``, ``suggestions``), ``treatment``, ``description``, ``seed``,
        ``status`` (``running`` or ``stopped``), ``created_by``, ``created_at`` and
        ``stopped_at`` (UTC datetimes)."""
        response = self._request("GET", f"/projects/{segment(project)}/experiments")
        return [e.model_dump() for e in _EXPERIMENTS.validate_python(response.json())]

    def create_experiment(
        self,
        project: str,
        name: str,
        arms: Sequence[tuple[str, str]],
        *,
        unit: str = "annotator",
        treatment: str | None = None,
        description: str = "",
        seed: int | None = None,
    ) -> dict[str, Any]:
        """Start an experiment splitting the project's annotators (``unit="annotator"``)
        or items (``"item"``) between two ``arms`` given as ``(name, description)``;
        ``treatment="suggestions"`` withholds suggestions from the second arm. Returns the
        experiment as ``experiments`` lists it. Needs the manage right."""
        body: dict[str, Any] = {
            "name": name,
            "unit": unit,
            "arms": [{"name": n, "description": d} for n, d in arms],
            "description": description,
            "treatment": treatment,
        }
        if seed is not None:
            body["seed"] = seed
        response = self._request(
            "POST", f"/projects/{segment(project)}/experiments", json_body=body
        )
        return ExperimentOut.model_validate(response.json()).model_dump()

    def experiment(self, project: str, name: str) -> dict[str, Any]:
        """``experiment`` and, per arm, ``units`` (``late`` of them after the start),
        ``annotations``, ``gold_answers`` and ``annotators`` since the start."""
        url = f"/projects/{segment(project)}/experiments/{segment(name)}"
        return ExperimentStatusOut.model_validate(self._request("GET", url).json()).model_dump()

    def analyze_experiment(
        self, project: str, name: str, *, min_effect: float = 0.05, min_time_change: float = 0.10
    ) -> dict[str, Any]:
        """The arms compared: per arm ``gold_accuracy``, ``agreement``, ``log_seconds`` and
        ``median_seconds`` (``value``, ``low``, ``high``, ``answers``, ``units``); the
        ``differences`` (second arm minus first, with ``p_value``); the ``power`` to detect
        ``min_effect`` (accuracy, as a share) and ``min_time_change``; the ``verdict``."""
        url = f"/projects/{segment(project)}/experiments/{segment(name)}/analysis"
        response = self._request(
            "GET", url, params={"min_effect": min_effect, "min_time_change": min_time_change}
        )
        return ExperimentAnalysisOut.model_validate(response.json()).model_dump()

    def stop_experiment(self, project: str, name: str) -> dict[str, Any]:
        """Stop a running experiment (its window closes, a suggestions treatment ends);
        returns it. A stopped experiment raises ``Conflict``."""
        url = f"/projects/{segment(project)}/experiments/{segment(name)}/stop"
        return ExperimentOut.model_validate(self._request("POST", url).json()).model_dump()
