"""Runtime settings, read from ``CPDREC_*`` environment variables when the app is built."""

from __future__ import annotations

from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CPDREC_", extra="ignore")

    data_dir: Path = Path("data")
    """Local data folder holding the embedded SQLite database."""
    database_url: str | None = None
    """SQLAlchemy URL; defaults to SQLite at ``<data_dir>/cpdrec.db``."""
    models_dir: Path = PROJECT_ROOT / "models"
    """Where ranker artifacts are cached; they are loaded from nowhere else."""
    seed: bool = True
    """Seed an empty database with the shipped frameworks and starter catalogue."""

    @property
    def db_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'cpdrec.db'}"
