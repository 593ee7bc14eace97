"""Request and response bodies of the HTTP API."""

from __future__ import annotations

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
    tags: list[ActivityTag]


class ActivityPage(BaseModel):
    items: list[ActivityOut]
    total: int
    limit: int
    offset: int
