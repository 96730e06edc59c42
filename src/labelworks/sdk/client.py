"""A Python client for the labelworks HTTP API (``/api/v1``).

It talks HTTP only (never the database) and raises the same ``labelworks.domain.errors``
classes the server mapped its responses from, so ``except UnsafeSpecChange`` works the same
in a script as inside the server.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterable, Iterator, Mapping
from contextlib import AbstractContextManager
from pathlib import Path
from types import TracebackType
from typing import Any, Literal, TypeVar, overload

import httpx
from pydantic import BaseModel, TypeAdapter

from labelworks import __version__
from labelworks.domain.errors import InvalidInput
from labelworks.schemas.api import (
    ApplyOut,
    ImportOut,
    ProjectDetailOut,
    ProjectOut,
    SkipIn,
    StatusOut,
    SubmitIn,
    SubmitOut,
    TaskOut,
)
from labelworks.sdk.activity import ActivityApi
from labelworks.sdk.agreement import AgreementApi
from labelworks.sdk.assist import AssistApi
from labelworks.sdk.audit import AuditApi
from labelworks.sdk.capacity import CapacityApi
from labelworks.sdk.coaching import CoachingApi
from labelworks.sdk.dataset_exports import DatasetExportsApi
from labelworks.sdk.dataset_imports import DatasetImportsApi
from labelworks.sdk.delivery import DeliveryApi
from labelworks.sdk.duplicates import DuplicatesApi
from labelworks.sdk.errors import error_from_response
from labelworks.sdk.escalations import EscalationsApi
from labelworks.sdk.evaluation import EvaluationApi
from labelworks.sdk.experiments import ExperimentsApi
from labelworks.sdk.generations import GenerationsApi
from labelworks.sdk.gold import GoldApi
from labelworks.sdk.guidelines import GuidelinesApi
from labelworks.sdk.items import ItemsApi
from labelworks.sdk.jobs import JobsApi
from labelworks.sdk.judges import JudgesApi
from labelworks.sdk.label_studio import LabelStudioApi
from labelworks.sdk.lots import LotsApi
from labelworks.sdk.media import MediaApi
from labelworks.sdk.members import MembersApi
from labelworks.sdk.paths import segment
from labelworks.sdk.people import PeopleApi
from labelworks.sdk.people_analytics import PeopleAnalyticsApi
from labelworks.sdk.pii import PiiApi
from labelworks.sdk.preview import PreviewApi
from labelworks.sdk.project_removal import ProjectRemovalApi
from labelworks.sdk.prompts import PromptsApi
from labelworks.sdk.qualification import QualificationApi
from labelworks.sdk.quality import QualityApi
from labelworks.sdk.report import ReportApi
from labelworks.sdk.reviews import ReviewsApi
from labelworks.sdk.sources import SourcesApi
from labelworks.sdk.spec_history import SpecHistoryApi
from labelworks.sdk.spec_upload import Spec, spec_upload
from labelworks.sdk.vendors import VendorsApi
from labelworks.sdk.webhooks import WebhooksApi

ExportFormat = Literal["jsonl", "csv", "parquet"]
CsvFormulas = Literal["escape", "raw"]
Aggregate = Literal["majority", "dawid_skene"]
Model = TypeVar("Model", bound=BaseModel)

_API = "/api/v1"
_CHUNK = 1024 * 1024
_PROJECTS = TypeAdapter(list[ProjectOut])


class Client(
    PeopleApi,
    PeopleAnalyticsApi,
    ActivityApi,
    CapacityApi,
    ReportApi,
    ProjectRemovalApi,
    MembersApi,
    ItemsApi,
    PreviewApi,
    GoldApi,
    GuidelinesApi,
    QualityApi,
    QualificationApi,
    ReviewsApi,
    LotsApi,
    ExperimentsApi,
    WebhooksApi,
    JobsApi,
    JudgesApi,
    GenerationsApi,
    SourcesApi,
    MediaApi,
    PiiApi,
    AssistApi,
    EvaluationApi,
    DeliveryApi,
    DatasetImportsApi,
    LabelStudioApi,
    DatasetExportsApi,
    DuplicatesApi,
    EscalationsApi,
    AuditApi,
    CoachingApi,
    AgreementApi,
    SpecHistoryApi,
    PromptsApi,
    VendorsApi,
    AbstractContextManager["Client"],
):
    """A session with one labelworks server, authenticated by an API token.

    ``transport`` is any synchronous ``httpx.BaseTransport`` (for tests: a mock, or the app
    itself in-process; see ``from_httpx``). Use as a context manager, or call ``close``.
    """

    def __init__(
        self,
        base_url: str,
        token: str,
        transport: httpx.BaseTransport | None = None,
        timeout: float = 30,
    ) -> None:
        self._http = httpx.Client(
            base_url=base_url.rstrip("/"), transport=transport, timeout=timeout
        )
        self._owns_http = True
        self._headers = self._auth_headers(token)

    @classmethod
    def from_httpx(cls, http: httpx.Client, token: str) -> Client:
        """A client over an existing ``httpx.Client`` (its base URL, transport and timeouts).

        FastAPI's ``TestClient(app)`` is such a client and runs the app in-process, which is
        how the SDK is tested. ``close`` leaves a borrowed client open.
        """
        client = cls.__new__(cls)
        client._http = http
        client._owns_http = False
        client._headers = cls._auth_headers(token)
        return client

    @staticmethod
    def _auth_headers(token: str) -> dict[str, str]:
        if not token or any(c.isspace() for c in token):
            raise InvalidInput("an API token is one word, e.g. 'lw_…'")
        return {"Authorization": f"Bearer {token}", "User-Agent": f"labelworks-sdk/{__version__}"}

    def close(self) -> None:
        """Close the connection pool (not a client handed to ``from_httpx``)."""
        if self._owns_http:
            self._http.close()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # ---- plumbing ---------------------------------------------------------------------

    def _request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json_body: Any = None,
        content: bytes | Iterator[bytes] | None = None,
        content_type: str | None = None,
        timeout: float | None = None,
    ) -> httpx.Response:
        headers = dict(self._headers)
        if content_type is not None:
            headers["Content-Type"] = content_type
        response = self._http.request(
            method,
            _API + path,
            params={k: v for k, v in (params or {}).items() if v is not None},
            json=json_body,
            content=content,
            headers=headers,
            timeout=httpx.USE_CLIENT_DEFAULT if timeout is None else timeout,
        )
        if response.is_error:
            raise error_from_response(response)
        return response

    def _get(self, path: str, model: type[Model], **params: Any) -> Model:
        return model.model_validate(self._request("GET", path, params=params).json())

    # ---- projects ---------------------------------------------------------------------

    def projects(self, *, archived: bool = False) -> list[ProjectOut]:
        """The projects the caller may see, by name: in use, or with ``archived`` the
        archived ones."""
        params = {"archived": "true"} if archived else None
        return _PROJECTS.validate_python(self._request("GET", "/projects", params=params).json())

    def project(self, name: str) -> ProjectDetailOut:
        """One project with its effective spec (and counts, for those who may review it)."""
        return self._get(f"/projects/{segment(name)}", ProjectDetailOut)

    def apply_spec(self, spec: Spec, *, force: bool = False) -> ApplyOut:
        """Create or update a project from a spec; applying the same spec twice is a no-op.

        ``spec`` is a mapping, YAML text, or the path of a YAML file (whose ``guidelines:``
        may name a Markdown file beside it, sent inline). A change that would invalidate
        existing annotations raises ``UnsafeSpecChange`` unless ``force``; ``check_spec``
        says beforehand what applying would change.
        """
        upload = spec_upload(spec)
        response = self._request(
            "PUT",
            f"/projects/{segment(upload.name)}",
            params={"force": "true" if force else None},
            content=upload.content,
            content_type=upload.content_type,
        )
        return ApplyOut.model_validate(response.json())

    def status(self, project: str) -> StatusOut:
        """Items, completion, annotations, live leases, skips and per-annotator counts."""
        return self._get(f"/projects/{segment(project)}/status", StatusOut)

    # ---- items ------------------------------------------------------------------------

    def import_items(
        self,
        project: str,
        rows: Iterable[Mapping[str, Any]] | str | os.PathLike[str],
        *,
        create_annotators: bool = False,
    ) -> ImportOut:
        """Add items, all or nothing: rows as mappings, or the path of a JSONL file.

        A bad row raises ``InvalidImport`` whose ``location.line`` is the row's 1-based
        number (the file's line) and ``location.field`` the field at fault. Rows may carry
        ``annotations`` (an export's history); ``create_annotators`` creates those of
        their annotators who are not users yet.
        """
        if isinstance(rows, str | os.PathLike):
            content: Iterator[bytes] = _file_chunks(Path(rows))
        else:
            content = (json.dumps(dict(r), ensure_ascii=False).encode() + b"\n" for r in rows)
        response = self._request(
            "POST",
            f"/projects/{segment(project)}/items",
            params={"create_annotators": "true"} if create_annotators else None,
            content=content,
            content_type="application/x-ndjson",
        )
        if response.status_code == 202:
            # A large import runs as a server job: wait for it, as a small one is awaited.
            job = self.wait_job(response.json()["id"])
            return ImportOut.model_validate({**job["result"], "project": project})
        return ImportOut.model_validate(response.json())

    # ---- work -------------------------------------------------------------------------

    def next_task(self, project: str) -> TaskOut | None:
        """Lease the next task for the caller; ``None`` when nothing is left for them."""
        response = self._request("POST", f"/projects/{segment(project)}/next")
        if response.status_code == 204:
            return None
        return TaskOut.model_validate(response.json())

    def submit(
        self,
        assignment_id: int,
        value: Mapping[str, Any],
        *,
        seconds: float | None = None,
        idempotency_key: str | None = None,
        flag: Mapping[str, str] | None = None,
    ) -> SubmitOut:
        """Record an annotation. Pass your own ``idempotency_key`` to retry safely: a
        repeat with the same key returns the first result (``created`` false). ``flag``
        (``{"kind": "ambiguous" | "edge_case", "comment": "..."}``) also sends the item to
        the escalation queue."""
        body = SubmitIn(
            value=dict(value),
            seconds=seconds,
            idempotency_key=idempotency_key or uuid.uuid4().hex,
            flag=None if flag is None else dict(flag),
        )
        response = self._request(
            "POST", f"/assignments/{assignment_id}/submit", json_body=body.model_dump()
        )
        return SubmitOut.model_validate(response.json())

    def skip(
        self,
        assignment_id: int,
        reason: str | None = None,
        *,
        flag: Mapping[str, str] | None = None,
    ) -> None:
        """Give the task back; it is not offered to the caller again. ``flag`` (as for
        ``submit``) sends the item to the escalation queue."""
        body = SkipIn(reason=reason, flag=None if flag is None else dict(flag))
        self._request("POST", f"/assignments/{assignment_id}/skip", json_body=body.model_dump())

    # ---- export -----------------------------------------------------------------------

    @overload
    def export(
        self,
        project: str,
        format: ExportFormat = ...,
        *,
        path: str | os.PathLike[str],
        csv_formulas: CsvFormulas = ...,
        aggregate: Aggregate | None = ...,
    ) -> Path: ...

    @overload
    def export(
        self,
        project: str,
        format: Literal["jsonl"] = ...,
        path: None = None,
        *,
        csv_formulas: CsvFormulas = ...,
        aggregate: Aggregate | None = ...,
    ) -> Iterator[dict[str, Any]]: ...

    def export(
        self,
        project: str,
        format: ExportFormat = "jsonl",
        path: str | os.PathLike[str] | None = None,
        *,
        csv_formulas: CsvFormulas = "escape",
        aggregate: Aggregate | None = None,
    ) -> Path | Iterator[dict[str, Any]]:
        """Every item with its annotations and pre-annotations.

        With ``path`` the body is streamed to that file (written beside it first, then
        renamed, so a broken transfer never leaves a complete-looking file) and the path is
        returned; without, JSONL records are yielded one at a time as they arrive.
        In CSV, cells a spreadsheet would run as formulas are prefixed with ``'`` unless
        ``csv_formulas="raw"`` (exact text, for programs); the server refuses ``"raw"`` with
        another format. ``aggregate`` (``"majority"`` or ``"dawid_skene"``) adds each
        annotated item's label by that method, with its confidence, as ``aggregate``.
        """
        url = f"{_API}/projects/{segment(project)}/export"
        params: dict[str, str] = {"format": format, "csv_formulas": csv_formulas}
        if aggregate is not None:
            params["aggregate"] = aggregate
        if path is None:
            if format != "jsonl":
                raise InvalidInput(f"give a path to export {format}; only jsonl can be iterated")
            return self._records(url, params)
        target = Path(path)
        partial = target.with_name(target.name + ".part")
        with self._http.stream("GET", url, params=params, headers=self._headers) as response:
            _raise_for(response)
            with partial.open("wb") as out:
                for chunk in response.iter_bytes(_CHUNK):
                    out.write(chunk)
        partial.replace(target)
        return target

    def _records(self, url: str, params: dict[str, str]) -> Iterator[dict[str, Any]]:
        with self._http.stream("GET", url, params=params, headers=self._headers) as response:
            _raise_for(response)
            for line in response.iter_lines():
                if line.strip():
                    record: dict[str, Any] = json.loads(line)
                    yield record


def _raise_for(response: httpx.Response) -> None:
    if response.is_error:
        response.read()
        raise error_from_response(response)


def _file_chunks(path: Path) -> Iterator[bytes]:
    with path.open("rb") as stream:
        while chunk := stream.read(_CHUNK):
            yield chunk
