"""The slice of 1EdTech CASE 1.0 JSON that cpdrec reads, and the ``cpdrec`` extension it writes.

Input models name only the fields the mapping uses and allow every other field, so a package
from any CASE tool validates as long as what cpdrec needs is there and well typed; pydantic then
locates each bad field by its JSON path (``CFRubrics.0.CFRubricCriteria.2.CFItemURI``).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

FORMAT = "case-1.0"
EXTENSION = "cpdrec"
NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:cpdrec:case")
UNKNOWN_CHANGE = datetime(1970, 1, 1, tzinfo=UTC)
"""lastChangeDateTime when the caller gives none: a framework file carries no timestamp."""

Subject = Literal["practitioner", "organisation"]


class _In(BaseModel):
    """Only the CASE fields the mapping reads; everything else is allowed and ignored."""

    model_config = ConfigDict(extra="allow", frozen=True)


class LinkIn(_In):
    identifier: str = ""
    uri: str = ""

    def refers_to(self, identifier: str, uri: str) -> bool:
        same_id = bool(self.identifier) and self.identifier == identifier
        return same_id or (bool(self.uri) and self.uri == uri)


class DocumentIn(_In):
    identifier: str = Field(min_length=1)
    uri: str = ""
    title: str = Field(min_length=1)
    extensions: Any = None


class ItemIn(_In):
    identifier: str = Field(min_length=1)
    uri: str = ""
    fullStatement: str | None = None
    abbreviatedStatement: str | None = None
    humanCodingScheme: str | None = None
    extensions: Any = None


class AssociationIn(_In):
    associationType: str
    originNodeURI: LinkIn
    destinationNodeURI: LinkIn
    sequenceNumber: int | None = None


class LevelIn(_In):
    quality: str | None = None
    description: str | None = None
    score: float | None = None
    position: int | None = None


class CriterionIn(_In):
    CFItemURI: LinkIn | None = None
    position: int | None = None
    CFRubricCriterionLevels: list[LevelIn] = Field(default_factory=list)


class RubricIn(_In):
    CFRubricCriteria: list[CriterionIn] = Field(default_factory=list)


class PackageIn(_In):
    CFDocument: DocumentIn
    CFItems: list[ItemIn] = Field(default_factory=list)
    CFAssociations: list[AssociationIn] = Field(default_factory=list)
    CFRubrics: list[RubricIn] = Field(default_factory=list)


class LevelExt(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True)

    id: str
    label: str


class DocumentExt(BaseModel):
    """``CFDocument.extensions.cpdrec``: the framework facts CASE 1.0 has no field for."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    framework: str | None = None
    subject: Subject | None = None
    extra: dict[str, Any] = Field(default_factory=dict)
    levels: list[LevelExt] = Field(default_factory=list)


class ItemExt(BaseModel):
    """``CFItem.extensions.cpdrec``: a strand's id and extra keys."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    strand: str | None = None
    extra: dict[str, Any] = Field(default_factory=dict)
