"""Request and response bodies of the HTTP API."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from recommender.activities import Format, Tag
from recommender.profiles import GapProfile


class RecommendationRequest(GapProfile):
    """A gap profile (CONTRACT §3) plus how many items to return."""

    limit: int = Field(default=5, ge=1, le=50)


class RecommendedItem(BaseModel):
    activity: str
    score: float = Field(
        description="Rank score after the diversity discount; never rises down the list"
    )
    relevance: float = Field(description="Cosine similarity of the activity to the gaps, 0..1")
    addresses: list[Tag] = Field(description="The gap cells it serves, strongest first")
    why: str
    inferred_tags: bool = Field(description="True when its tags were inferred from its text")
    title: str
    format: Format
    duration_hours: float | None
    cost: float | None
    provider: str
    url: str


class RecommendationResponse(BaseModel):
    profile: str | None
    items: list[RecommendedItem]


class LevelOut(BaseModel):
    id: str
    label: str


class FrameworkSummary(BaseModel):
    id: str
    title: str
    subject: str
    levels: list[LevelOut]
    strands: list[dict[str, str]] = Field(description="id and title of each strand")


class Statement(BaseModel):
    id: str = Field(description="Stable id: strand/level/index")
    level: str
    level_label: str
    text: str


class StrandOut(BaseModel):
    id: str
    title: str
    descriptors: dict[str, list[str]]
    statements: list[Statement] = Field(
        description="Flattened, lowest level first: ready to render as a questionnaire"
    )


class FrameworkDetail(BaseModel):
    model_config = {"extra": "allow"}

    id: str
    title: str
    subject: str
    levels: list[LevelOut]
    strands: list[StrandOut]


class ActivityTag(Tag):
    confidence: float
    inferred: bool


class ActivityOut(BaseModel):
    id: str
    title: str
    description: str
    format: Format
    duration_hours: float | None
    cost: float | None
    provider: str
    url: str
    tags: list[ActivityTag] = Field(
        description="Given tags (confidence 1), or for an untagged activity the inferred ones"
    )
    owner: str = Field(description="Your organisation's id, or `shared` for the shared catalogue")
    archived: bool
    version: int = Field(description="Increases on every change; the ETag is derived from it")
    updated_at: datetime
    updated_by: str = Field(description="API key id, `cli` or `open-access`; never a name")


class ActivityPage(BaseModel):
    items: list[ActivityOut]
    total: int
    limit: int
    offset: int


class TagSuggestions(BaseModel):
    activity: str
    given: list[Tag]
    suggestions: list[ActivityTag] = Field(
        description="Inferred tags not yet given or rejected, most confident first"
    )


class TagReview(BaseModel):
    accept: list[Tag] = Field(default=[], description="Become given tags")
    reject: list[Tag] = Field(default=[], description="Never suggested again")


class ImportReport(BaseModel):
    dry_run: bool
    valid: bool
    activities: int = Field(description="Valid activities in the file")
    created: int
    updated: int
    unchanged: int
    errors: list[dict[str, Any]] = Field(
        default=[], description="Every problem: field, message, line and column"
    )


class CoverageCell(BaseModel):
    strand: str
    level: str
    given: int = Field(description="Active activities tagged to this cell by a coordinator")
    inferred: int = Field(description="Active untagged activities inferred to serve it (p ≥ 0.5)")
    total: int
    flagged: bool = Field(description="Fewer than `min_activities` activities: add some")


class Coverage(BaseModel):
    framework: str
    levels: list[str]
    strands: list[str]
    min_activities: int
    cells: list[CoverageCell]
    flagged: int


class CatalogueStatus(BaseModel):
    organisation: str
    version: str = Field(description="Current catalogue version of everything you can see")
    serving_version: str = Field(description="The version your recommendations come from")
    up_to_date: bool
    activities: int = Field(description="Active activities the serving ranker knows")
    built_at: datetime


class AuditEventOut(BaseModel):
    id: int
    at: datetime
    actor: str
    action: str
    entity: str
    changes: dict[str, Any]
