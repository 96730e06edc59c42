"""The LLM-judge part of the client: a campaign's judges, running one, its calibration
against people, and prompt generations."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import httpx

from labelworks.schemas.jobs import JobOut
from labelworks.schemas.judges import CalibrationOut, JudgeSummaryOut
from labelworks.sdk.paths import segment


class JudgesApi:
    """Mixed into ``Client``, which provides ``_request``."""

    _request: Callable[..., httpx.Response]

    def judges(self, project: str) -> list[dict[str, Any]]:
        """The campaign's judges with their stored verdicts, malformed and failed replies."""
        response = self._request("GET", f"/projects/{segment(project)}/judges")
        return [JudgeSummaryOut.model_validate(j).model_dump() for j in response.json()]

    def run_judge(self, project: str, judge: str) -> dict[str, Any]:
        """Queue a run of the judge over the campaign's items; returns the job (follow it
        with ``wait_job``). Needs the manage right."""
        response = self._request(
            "POST", f"/projects/{segment(project)}/judges/{segment(judge)}/runs"
        )
        return JobOut.model_validate(response.json()).model_dump()

    def judge_calibration(
        self, project: str, judge: str, *, by: str | None = None
    ) -> dict[str, Any]:
        """How far the judge agrees with people: ``overall`` (and ``by_category``) percent
        agreement and Cohen's κ with intervals, ``position_bias``, both leaderboards with
        Kendall's ``tau``, and the ``disagreements`` to review (docs/evaluation.md)."""
        params = {} if by is None else {"by": by}
        response = self._request(
            "GET",
            f"/projects/{segment(project)}/judges/{segment(judge)}/calibration",
            params=params,
        )
        return CalibrationOut.model_validate(response.json()).model_dump()

    def generate(
        self,
        project: str,
        *,
        prompt: str,
        endpoint: str,
        model: str,
        field: str | None = None,
        as_model: str | None = None,
        api_key_env: str | None = None,
        concurrency: int = 8,
        temperature: float | None = None,
        rows: Sequence[dict[str, Any]] | None = None,
    ) -> dict[str, Any]:
        """Queue a generation: the registry ``prompt`` (``NAME@VERSION``) run over the
        project's items at ``endpoint`` with ``model``, each reply stored as a prediction
        (version ``PROMPT-vN``); returns the job. With ``rows`` (a campaign's input rows),
        the rows with ``as_model``'s output added become the job's file instead
        (``download_job_result``). Needs the manage right."""
        # Checked by the server, which answers a refusal naming the field (GenerateIn).
        body = {
            "prompt": prompt,
            "endpoint": endpoint,
            "model": model,
            "field": field,
            "as_model": as_model,
            "api_key_env": api_key_env,
            "concurrency": concurrency,
            "temperature": temperature,
            "rows": None if rows is None else list(rows),
        }
        response = self._request(
            "POST",
            f"/projects/{segment(project)}/generations",
            json_body={k: v for k, v in body.items() if v is not None},
        )
        return JobOut.model_validate(response.json()).model_dump()
