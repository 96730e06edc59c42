"""The one typed settings object, read from ``LABELWORKS_*`` environment variables.

Built once at an entry point (CLI, server factory) and passed down; nothing reads the
environment anywhere else.
"""

from __future__ import annotations

import secrets
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Runtime configuration; every field maps to ``LABELWORKS_<FIELD>``."""

    model_config = SettingsConfigDict(env_prefix="LABELWORKS_", extra="ignore")

    data_dir: Path = Field(default=Path("labelworks-data"))
    database_url: str | None = None
    host: str = "127.0.0.1"
    port: int = 8000
    secret_key: str | None = None
    secure_cookies: bool = False  # set behind HTTPS so session cookies are never sent in clear
    sqlite_busy_timeout_ms: int = 5000
    import_batch_size: int = 5000

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
    def is_embedded(self) -> bool:
        return self.effective_database_url.startswith("sqlite")
