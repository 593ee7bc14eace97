"""Runtime settings, read from ``CPDREC_*`` environment variables when the app is built."""

from __future__ import annotations

import secrets
from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CPDREC_", extra="ignore")

    data_dir: Path = Path("data")
    """Local data folder holding the embedded SQLite database and its key secret."""
    database_url: str | None = None
    """SQLAlchemy URL; defaults to SQLite at ``<data_dir>/cpdrec.db``."""
    models_dir: Path = PROJECT_ROOT / "models"
    """Where ranker artifacts are cached; they are loaded from nowhere else."""
    seed: bool = True
    """Seed an empty database with the shipped frameworks and starter catalogue."""
    secret_key: SecretStr | None = None
    """Server secret for hashing API keys and deriving subjects' pseudonyms: changing it
    invalidates every key and orphans every stored subject. Every process sharing a database
    needs the same one; without it, one is generated in ``<data_dir>/secret.key`` (fine for
    the embedded default)."""
    open_access: bool = True
    """Serve without API keys, as the `local` organisation, until the first key is created.
    False requires keys from the start."""
    key_cache_seconds: float = 5.0
    """How long a process trusts a verified API key before checking it again (revocation
    reaches every process within this time)."""
    refresh_seconds: float = 2.0
    """How often each process checks whether the catalogue changed (in other processes too)."""
    feedback_refresh_seconds: float = 30.0
    """How long a process reuses the feedback signal before checking for new feedback (and
    for erased subjects, whose ratings then stop counting)."""
    web_session_hours: float = Field(default=8.0, gt=0)
    """How long a web sign-in lasts before the person must sign in again."""
    secure_cookies: bool | None = None
    """Mark the sign-in cookie `Secure` (sent over HTTPS only). Unset: when the request came
    over HTTPS; behind a TLS-terminating proxy set it to true (or run uvicorn with
    `--proxy-headers`)."""
    retention_months: int = Field(default=24, ge=1)
    """`cpdrec purge` deletes assessments and feedback older than this many months."""

    @property
    def db_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'cpdrec.db'}"

    def key_secret(self) -> bytes:
        if self.secret_key is not None:
            return self.secret_key.get_secret_value().encode()
        path = self.data_dir / "secret.key"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.touch(mode=0o600)
            path.write_text(secrets.token_urlsafe(32))
        return path.read_text().strip().encode()
