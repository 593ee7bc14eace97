"""Tables (SQLAlchemy 2). Every catalogue row has an owner: an organisation, or `shared`.

Schema changes go through Alembic (`service/migrations`); a test checks the two agree.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    MetaData,
    String,
    Text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

SHARED = "shared"
"""Owner of the shipped frameworks and the shared catalogue organisations may opt into."""
LOCAL = "local"
"""The organisation that open access (the single-user embedded default) acts as."""


def utcnow() -> datetime:
    return datetime.now(UTC)


class UtcDateTime(TypeDecorator[datetime]):
    """Timezone-aware in and out; SQLite would hand back naive datetimes."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return value if value is None or value.tzinfo else value.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    metadata = MetaData(
        naming_convention={
            "ix": "ix_%(column_0_label)s",
            "uq": "uq_%(table_name)s_%(column_0_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )


class Organisation(Base):
    __tablename__ = "organisations"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    uses_shared_catalogue: Mapped[bool] = mapped_column(Boolean, default=True)
    catalogue_version: Mapped[int] = mapped_column(Integer, default=0)
    """Bumped in the same transaction as every change to the frameworks or activities it owns,
    so every server process can tell its ranker is stale."""
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class FrameworkRow(Base):
    __tablename__ = "frameworks"

    owner: Mapped[str] = mapped_column(ForeignKey("organisations.id"), primary_key=True)
    id: Mapped[str] = mapped_column(String(100), primary_key=True)
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow, onupdate=utcnow)


class ActivityRow(Base):
    __tablename__ = "activities"

    owner: Mapped[str] = mapped_column(ForeignKey("organisations.id"), primary_key=True)
    id: Mapped[str] = mapped_column(String(100), primary_key=True)
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text)
    format: Mapped[str] = mapped_column(String(20))
    duration_hours: Mapped[float | None] = mapped_column(Float)
    cost: Mapped[float | None] = mapped_column(Float)
    provider: Mapped[str] = mapped_column(String(300), default="")
    url: Mapped[str] = mapped_column(String(2000), default="")
    tags: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    rejected_tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    """Suggested tags a coordinator rejected, as `framework:strand:level`; never suggested again."""
    archived: Mapped[bool] = mapped_column(Boolean, default=False)
    version: Mapped[int] = mapped_column(Integer, default=1)
    """Increases on every change; the ETag, so concurrent edits cannot overwrite each other."""
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow, onupdate=utcnow)
    updated_by: Mapped[str] = mapped_column(String(100), default="")


class ApiKey(Base):
    __tablename__ = "api_keys"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    """Public part of the key (shown in listings and audit); the secret part is never stored."""
    org: Mapped[str] = mapped_column(ForeignKey("organisations.id"), index=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    digest: Mapped[str] = mapped_column(String(64))
    """HMAC-SHA256 of the whole key under the server secret."""
    scopes: Mapped[list[str]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    last_used_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    subject: Mapped[str | None] = mapped_column(String(64))
    """For a person's own sign-in key (scope `self`): their pseudonym, as `subjects.id`."""


class WebSession(Base):
    """A browser signed in with an API key; the cookie holds a token, the table its hash."""

    __tablename__ = "web_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    """HMAC-SHA256 of the cookie's token under the server secret."""
    key_id: Mapped[str] = mapped_column(ForeignKey("api_keys.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)


class AuditEvent(Base):
    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    org: Mapped[str] = mapped_column(ForeignKey("organisations.id"), index=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    actor: Mapped[str] = mapped_column(String(100))
    """`key:<id>`, `cli` or `open-access`: never a person's name."""
    action: Mapped[str] = mapped_column(String(50))
    entity: Mapped[str] = mapped_column(String(200))
    changes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class TargetPolicy(Base):
    """An organisation's default targets for one framework, used where a person sets none."""

    __tablename__ = "target_policies"

    org: Mapped[str] = mapped_column(ForeignKey("organisations.id"), primary_key=True)
    framework: Mapped[str] = mapped_column(String(100), primary_key=True)
    targets: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    """strand id -> level id, for everyone."""
    roles: Mapped[dict[str, dict[str, str]]] = mapped_column(JSON, default=dict)
    """role -> strand id -> level id; a role's target beats the organisation-wide one."""
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow, onupdate=utcnow)


class Subject(Base):
    """A person or a school, known only by a keyed hash of the LMS's own id for them.

    Nothing else identifies them: no name, no email, not even the LMS id.
    """

    __tablename__ = "subjects"

    org: Mapped[str] = mapped_column(ForeignKey("organisations.id"), primary_key=True)
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    """HMAC-SHA256 (hex) of the LMS id under a per-organisation key."""
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class Assessment(Base):
    __tablename__ = "assessments"
    __table_args__ = (
        ForeignKeyConstraint(
            ["org", "subject"], ["subjects.org", "subjects.id"], ondelete="CASCADE"
        ),
        Index("ix_assessments_subject", "org", "subject", "assessed_at"),
        Index("ix_assessments_assessed_at", "assessed_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    org: Mapped[str] = mapped_column(String(64))
    subject: Mapped[str] = mapped_column(String(64))
    framework: Mapped[str] = mapped_column(String(100))
    role: Mapped[str | None] = mapped_column(String(100))
    assessed_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    answers: Mapped[dict[str, Any]] = mapped_column(JSON)
    """What the subject said: `{"affirmed": [statement ids], "levels": {strand: level}}`."""
    levels: Mapped[dict[str, dict[str, str | None]]] = mapped_column(JSON)
    """The derived gap profile: strand -> `{"current", "target"}`."""
    priorities: Mapped[dict[str, float]] = mapped_column(JSON, default=dict)


class Feedback(Base):
    __tablename__ = "feedback"
    __table_args__ = (
        ForeignKeyConstraint(
            ["org", "subject"], ["subjects.org", "subjects.id"], ondelete="CASCADE"
        ),
        Index("ix_feedback_subject", "org", "subject"),
        Index("ix_feedback_at", "at"),
        Index("uq_feedback_statement", "org", "statement_id", unique=True),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    org: Mapped[str] = mapped_column(String(64))
    subject: Mapped[str] = mapped_column(String(64))
    activity: Mapped[str] = mapped_column(String(100))
    event: Mapped[str] = mapped_column(String(20))
    """viewed, started, completed, rated or dismissed."""
    rating: Mapped[int | None] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    statement_id: Mapped[str | None] = mapped_column(String(64))
    """The xAPI statement it came from, so a statement sent twice is stored once."""
