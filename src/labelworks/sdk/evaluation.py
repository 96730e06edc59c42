"""The evaluation part of the client: models' predictions, evaluation runs and
comparisons of two model versions."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import httpx

from labelworks.schemas.evaluation import (
    ComparisonOut,
    EvalRunOut,
    EvalRunSummaryOut,
    PredictedModelOut,
    PushOut,
)
from labelworks.schemas.leaderboard import LeaderboardOut
from labelworks.sdk.paths import segment


class EvaluationApi:
    """Mixed into ``Client``, which provides ``_request``."""

    _request: Callable[..., httpx.Response]

    def push_predictions(
        self, project: str, predictions: Sequence[dict[str, Any]]
    ) -> dict[str, Any]:
        """Store predictions (``{"item": external id | "item_id": id, "model",
        "version"?, "value", "score"?, "probabilities"?}``, up to 10,000 per call), each
        replacing an earlier one of the same item, model and version; all or none.
        Returns ``stored`` and the ``models`` they belong to."""
        response = self._request(
            "POST",
            f"/projects/{segment(project)}/predictions",
            json_body={"predictions": list(predictions)},
        )
        return PushOut.model_validate(response.json()).model_dump()

    def predicted_models(self, project: str) -> list[dict[str, Any]]:
        """The model versions with predictions in the project, newest first."""
        response = self._request("GET", f"/projects/{segment(project)}/predictions/models")
        return [PredictedModelOut.model_validate(m).model_dump() for m in response.json()]

    def run_evaluation(
        self,
        project: str,
        model: str,
        *,
        field: str | None = None,
        against: str = "final",
        slice: str | None = None,
    ) -> dict[str, Any]:
        """Score ``model`` (``name`` or ``name@version``) against the ``final`` labels or
        ``gold`` answers; returns the stored run with its ``report`` (docs/evaluation.md)."""
        body: dict[str, Any] = {"model": model, "against": against}
        if field is not None:
            body["field"] = field
        if slice is not None:
            body["slice"] = slice
        response = self._request("POST", f"/projects/{segment(project)}/eval/runs", json_body=body)
        return EvalRunOut.model_validate(response.json()).model_dump()

    def eval_runs(self, project: str) -> list[dict[str, Any]]:
        """The project's stored evaluation runs, newest first, without reports."""
        response = self._request("GET", f"/projects/{segment(project)}/eval/runs")
        return [EvalRunSummaryOut.model_validate(r).model_dump() for r in response.json()]

    def eval_run(self, project: str, run_id: int) -> dict[str, Any]:
        """One stored evaluation run with its report."""
        response = self._request("GET", f"/projects/{segment(project)}/eval/runs/{run_id}")
        return EvalRunOut.model_validate(response.json()).model_dump()

    def compare_models(
        self,
        project: str,
        a: str,
        b: str,
        *,
        field: str | None = None,
        against: str = "final",
        slice: str | None = None,
        fail_if_worse: float | None = None,
    ) -> dict[str, Any]:
        """Model ``b`` against ``a`` on the same items: accuracy and macro-F1 differences
        (B − A) with paired-bootstrap intervals, McNemar's exact test, flagged slices, and
        ``worse`` when ``fail_if_worse`` is given."""
        body: dict[str, Any] = {"a": a, "b": b, "against": against}
        for key, value in (("field", field), ("slice", slice), ("fail_if_worse", fail_if_worse)):
            if value is not None:
                body[key] = value
        response = self._request(
            "POST", f"/projects/{segment(project)}/eval/compare", json_body=body
        )
        return ComparisonOut.model_validate(response.json()).model_dump()

    def leaderboard(self, project: str, *, by: str | None = None) -> dict[str, Any]:
        """The project's evaluation campaign as a leaderboard (``models`` best first with
        ``rating``, ``low``, ``high``, ``rank``, ``battles``…; docs/evaluation.md); ``by``
        adds a board per value of a metadata key under ``categories``."""
        params = {} if by is None else {"by": by}
        response = self._request("GET", f"/projects/{segment(project)}/leaderboard", params=params)
        return LeaderboardOut.model_validate(response.json()).model_dump()
