"""Request and response bodies of the HTTP API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
)

from recommender.activities import Format, Tag
from recommender.profiles import Constraints, GapProfile


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


SubjectId = Annotated[
    str,
    Field(
        min_length=1,
        max_length=200,
        description="Your LMS's own id for the person or school; only a keyed hash is stored",
        examples=["moodle:4217"],
    ),
]
StrandLevels = dict[str, str]


class QuestionnaireStatement(BaseModel):
    id: str = Field(description="Send it back in `affirmed` when the person agrees with it")
    text: str


class QuestionnaireLevel(BaseModel):
    id: str
    label: str
    statements: list[QuestionnaireStatement]


class QuestionnaireStrand(BaseModel):
    id: str
    title: str
    levels: list[QuestionnaireLevel] = Field(description="Lowest level first")


class Questionnaire(BaseModel):
    framework: str
    title: str
    subject: Literal["practitioner", "organisation"] = Field(
        description="Who answers: a person, or a school about itself"
    )
    instructions: str
    levels: list[LevelOut] = Field(description="Lowest first, whatever their labels")
    strands: list[QuestionnaireStrand]
    default_targets: StrandLevels = Field(
        description="Your organisation's targets for everyone (role targets: see /targets)"
    )


class TargetPolicyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    targets: StrandLevels = Field(
        default_factory=dict, description="strand id → level id, for everyone"
    )
    roles: dict[Annotated[str, Field(min_length=1, max_length=100)], StrandLevels] = Field(
        default_factory=dict, description="role → strand id → level id; beats `targets`"
    )


class TargetPolicyOut(TargetPolicyIn):
    framework: str
    updated_at: datetime | None


class AssessmentIn(BaseModel):
    """Answers to a questionnaire, levels chosen directly, or both for different strands."""

    model_config = ConfigDict(extra="forbid")

    subject: SubjectId
    framework: str = Field(max_length=100)
    role: str | None = Field(
        default=None, min_length=1, max_length=100, description="e.g. `teacher`: picks targets"
    )
    affirmed: list[Annotated[str, Field(max_length=250)]] = Field(
        default_factory=list,
        max_length=5000,
        description="Ids of the statements the subject agrees with (from the questionnaire)",
    )
    levels: dict[str, str | None] = Field(
        default_factory=dict,
        description="strand id → level reached, chosen directly (null: not yet the lowest)",
    )
    targets: StrandLevels = Field(
        default_factory=dict, description="strand id → target level; default: your policy"
    )
    priorities: dict[str, Annotated[float, Field(gt=0, le=100, allow_inf_nan=False)]] = Field(
        default_factory=dict
    )


class AssessmentOut(BaseModel):
    id: int
    subject: str = Field(description="The pseudonym stored for the subject")
    framework: str
    assessed_at: datetime
    profile: GapProfile
    target_sources: dict[str, Literal["request", "role", "organisation"]] = Field(
        description="Where each strand's target came from"
    )
    gaps: int = Field(description="Strands where the target is above the current level")


class SubjectRecommendationRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    framework: str | None = Field(
        default=None, max_length=100, description="Default: that of the latest assessment"
    )
    limit: int = Field(default=5, ge=1, le=50)
    constraints: Constraints = Field(default_factory=Constraints)
    query: str | None = Field(default=None, max_length=2000)


class SubjectRecommendationResponse(BaseModel):
    framework: str
    assessed_at: datetime = Field(description="When the assessment used was taken")
    excluded: int = Field(description="Activities not offered: completed or dismissed")
    items: list[RecommendedItem]


class ProgressPoint(BaseModel):
    assessed_at: datetime
    current: str | None
    target: str


class StrandProgress(BaseModel):
    strand: str
    title: str
    points: list[ProgressPoint] = Field(description="One per assessment, oldest first")


class Progress(BaseModel):
    framework: str
    levels: list[LevelOut]
    assessments: list[datetime]
    strands: list[StrandProgress]


FeedbackEvent = Literal["viewed", "started", "completed", "rated", "dismissed"]


class FeedbackIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    subject: SubjectId
    activity: str = Field(max_length=100)
    event: FeedbackEvent
    rating: int | None = Field(
        default=None,
        ge=1,
        le=5,
        validate_default=True,
        description="1–5, required when event is `rated`",
    )
    at: AwareDatetime | None = Field(default=None, description="Default: now")

    @field_validator("rating")
    @classmethod
    def _rating_with_rated(cls, rating: int | None, info: ValidationInfo) -> int | None:
        if (info.data.get("event") == "rated") != (rating is not None):
            raise ValueError("send a rating (1–5) with event `rated`, and only with it")
        return rating


class FeedbackOut(BaseModel):
    id: int
    activity: str
    event: FeedbackEvent
    rating: int | None
    at: datetime


class GapCell(BaseModel):
    strand: str
    level: str
    subjects: int | None = Field(
        description="Subjects needing this level (current below it, target at or above it); "
        "null when suppressed"
    )
    suppressed: bool = Field(description="Fewer than `min_subjects`: hidden to protect people")
    activities: int = Field(description="Active activities serving the cell (as /coverage)")
    short: bool = Field(description="Demand with fewer than the minimum activities to meet it")


class GapReport(BaseModel):
    framework: str
    levels: list[str]
    strands: list[str]
    min_subjects: int
    subjects: int | None = Field(
        description="Subjects with an assessment (latest per subject); null when too few"
    )
    cells: list[GapCell]


class ExportedAssessment(BaseModel):
    id: int
    framework: str
    role: str | None
    assessed_at: datetime
    answers: dict[str, Any]
    levels: dict[str, dict[str, str | None]]
    priorities: dict[str, float]


class ExportedFeedback(BaseModel):
    activity: str
    event: str
    rating: int | None
    at: datetime
    statement_id: str | None


class SubjectExport(BaseModel):
    subject: str = Field(description="The pseudonym stored for the subject")
    organisation: str
    created_at: datetime
    assessments: list[ExportedAssessment]
    feedback: list[ExportedFeedback]


class ErasureReport(BaseModel):
    assessments: int
    feedback: int
    sign_in_keys: int = Field(description="The person's own sign-in keys, now revoked")
