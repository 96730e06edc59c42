"""The one typed settings object, read from ``LABELWORKS_*`` environment variables.

Built once at an entry point (CLI, server factory) and passed down; nothing reads the
environment anywhere else.
"""

from __future__ import annotations

import ipaddress
import os
import secrets
from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Runtime configuration; every field maps to ``LABELWORKS_<FIELD>``."""

    model_config = SettingsConfigDict(env_prefix="LABELWORKS_", extra="ignore")

    data_dir: Path = Field(default=Path("labelworks-data"))
    database_url: str | None = None
    host: str = "127.0.0.1"
    port: int = 8000
    # Server processes for ``serve``; 0 picks one per CPU core, at most 4 on SQLite (one
    # writer at a time: more processes only queue on it). docs/deploy.md.
    workers: int = Field(default=0, ge=0)
    secret_key: str | None = None
    secure_cookies: bool = False  # set behind HTTPS so session cookies are never sent in clear
    sqlite_busy_timeout_ms: int = 5000
    import_batch_size: int = 5000

    # Background jobs (docs/deploy.md). Huey keeps its queue in Redis when this is set,
    # else in a SQLite file in the data directory, consumed by the server processes.
    redis_url: str | None = None
    # Consumer threads each ``serve``/``demo`` process runs when the queue is embedded (no
    # Redis); 0 leaves every job to ``labelworks worker``.
    embedded_job_threads: int = Field(default=1, ge=0, le=16)
    # A running job whose consumer has not reported for this long is given back.
    job_stale_seconds: float = Field(default=120.0, gt=0)
    # API imports larger than this (bytes) run as background jobs (202 and the job).
    import_job_bytes: int = Field(default=32 * 1024 * 1024, ge=0)

    # Sources beyond files (docs/data.md): S3-compatible object storage and server folders.
    # Credentials come from the environment (AWS_ACCESS_KEY_ID, ...) or a named profile,
    # never from a spec or a request.
    s3_endpoint_url: str | None = None  # e.g. http://minio:9000; unset: AWS
    s3_profile: str | None = None  # a profile of ~/.aws/credentials
    s3_region: str | None = None
    # Seconds a presigned media URL lives; 0 streams object media through the server.
    s3_presign_seconds: int = Field(default=300, ge=0, le=7 * 24 * 3600)
    # Folders (os.pathsep-separated, like PATH) the API and the Data page may import from;
    # empty: folders are refused over HTTP (the CLI reads any folder its user can).
    import_roots: str = ""

    # Request body limits in bytes, enforced while bodies stream in (see docs/api.md)
    max_request_bytes: int = Field(default=1024 * 1024, ge=1024)  # every JSON body and form
    max_spec_bytes: int = Field(default=4 * 1024 * 1024, ge=1024)  # PUT a spec (guidelines inline)
    max_import_bytes: int = Field(default=512 * 1024 * 1024, ge=1024)  # POST items

    # Sessions and logins (see docs/api.md)
    session_hours: float = Field(default=14 * 24, gt=0)  # a web session's lifetime
    login_attempts_per_client: int = Field(default=5, ge=1)  # failures per email and address
    login_attempts_per_email: int = Field(default=50, ge=1)  # failures per email, any address
    login_window_seconds: float = Field(default=300.0, gt=0)

    # Connections (see docs/deploy.md). Per server process; uvicorn alone would wait forever
    # for a request head or body that never completes, one descriptor per stalled client.
    header_timeout: float = Field(default=10.0, gt=0)  # seconds to send a whole request head
    body_timeout: float = Field(default=30.0, gt=0)  # longest silence while a body is due
    min_body_rate: int = Field(default=1024, ge=0)  # bytes/s a body must average; 0: no floor
    body_rate_grace: float = Field(default=10.0, ge=0)  # seconds before min_body_rate applies
    max_connections: int = Field(default=1000, ge=1)  # more are closed as they are accepted
    keep_alive_timeout: int = Field(default=5, ge=1)  # idle seconds allowed between requests
    # Comma-separated IPs and CIDR networks whose X-Forwarded-For / X-Forwarded-Proto are
    # believed. Empty (the default) believes nobody: a header any client can write must not
    # choose the address that login throttling counts.
    trusted_proxies: str = ""
    # A PII analyser for privacy policies with ``analyser: true``: 'module:function', a
    # callable (text) -> iterable of (kind, start, end). docs/project-spec.md, "privacy".
    pii_analyser: str = ""
    # LLM judges and generation (docs/evaluation.md): the environment variables whose values
    # may be sent to a chat endpoint as its API key (comma-separated). A spec names the
    # variable; only those listed here are read, so a spec cannot send any other secret of
    # the server's environment to an endpoint it chooses.
    llm_key_variables: str = "OPENAI_API_KEY"
    llm_timeout: float = Field(default=120.0, gt=0, le=3600)  # seconds per request attempt
    # The origins (scheme://host[:port], comma-separated) judges and generations may call;
    # empty: any. A spec names its endpoint: a deployment that must not reach its internal
    # network from a manager's spec lists the model gateways here.
    llm_endpoints: str = ""
    llm_backoff: float = Field(default=0.5, ge=0, le=60)  # first retry's mean wait, doubling
    # Webhooks (docs/operations.md): seconds a receiver has to answer one delivery attempt
    # (connect, send, read each), after which the attempt fails and is retried later.
    webhook_timeout: float = Field(default=10.0, gt=0, le=300)

    @field_validator("trusted_proxies")
    @classmethod
    def _check_trusted_proxies(cls, value: str) -> str:
        entries = [entry.strip() for entry in value.split(",") if entry.strip()]
        for entry in entries:
            if entry == "*":
                continue
            try:
                ipaddress.ip_network(entry)
            except ValueError:
                raise ValueError(
                    f"{entry!r} is not an IP address or network (e.g. 10.0.0.0/8) "
                    "and would never match a proxy"
                ) from None
        return ",".join(entries)

    @property
    def import_root_list(self) -> list[Path]:
        return [Path(p) for p in self.import_roots.split(os.pathsep) if p.strip()]

    @property
    def llm_endpoint_list(self) -> list[str]:
        return [v.strip() for v in self.llm_endpoints.split(",") if v.strip()]

    @property
    def llm_key_variable_list(self) -> list[str]:
        return [v.strip() for v in self.llm_key_variables.split(",") if v.strip()]

    @property
    def trusted_proxy_list(self) -> list[str]:
        return self.trusted_proxies.split(",") if self.trusted_proxies else []

    @property
    def effective_database_url(self) -> str:
        """The configured URL, or the embedded SQLite file inside ``data_dir``."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'labelworks.db').resolve()}"

    def ensure_secret_key(self) -> str:
        """The configured key, or one generated once and kept in the data directory.

        Entry points call this before starting server processes, so that every worker
        signs sessions with the same key.
        """
        if self.secret_key:
            return self.secret_key
        path = Path(self.data_dir) / "secret.key"
        if path.exists():
            return path.read_text().strip()
        path.parent.mkdir(parents=True, exist_ok=True)
        key = secrets.token_hex(32)
        path.write_text(key)
        path.chmod(0o600)
        return key

    @property
    def server_processes(self) -> int:
        """``workers``, or the default for this machine and database."""
        if self.workers:
            return self.workers
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
        return max(1, min(cores or 1, 4 if self.is_embedded else 16))

    @property
    def is_embedded(self) -> bool:
        return self.effective_database_url.startswith("sqlite")
