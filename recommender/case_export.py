"""Native framework → CASE 1.0 CFPackage, deterministic so repeated exports are identical.

See `recommender.case` for the mapping; identifiers are uuid5 of framework, strand and level ids.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from recommender.case_schema import EXTENSION, NAMESPACE, UNKNOWN_CHANGE
from recommender.framework_text import collapse_spaces
from recommender.frameworks import Framework


def export_case(
    framework: Framework,
    *,
    creator: str = "cpdrec",
    last_change: datetime | None = None,
    base_uri: str | None = None,
    extensions: bool = True,
) -> dict[str, Any]:
    """The framework as a CASE 1.0 CFPackage; identical output for identical arguments.

    URIs are ``urn:uuid:<identifier>`` unless `base_uri` is given (then ``<base_uri>/<id>``).
    """
    stamp = (last_change or UNKNOWN_CHANGE).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

    def node(*parts: str) -> dict[str, str]:
        identifier = str(uuid.uuid5(NAMESPACE, "|".join((framework.id, *parts))))
        uri = f"{base_uri.rstrip('/')}/{identifier}" if base_uri else f"urn:uuid:{identifier}"
        return {"identifier": identifier, "uri": uri}

    doc = node("document")
    doc_link = {"title": framework.title, **doc}
    document: dict[str, Any] = {
        **doc,
        "creator": creator,
        "title": framework.title,
        "lastChangeDateTime": stamp,
        "CFPackageURI": doc_link,
    }
    if extensions:
        document["extensions"] = {
            EXTENSION: {
                "framework": framework.id,
                "subject": framework.subject,
                "extra": framework.model_extra or {},
                "levels": [level.model_dump(mode="json") for level in framework.levels],
            }
        }
    items: list[dict[str, Any]] = []
    associations: list[dict[str, Any]] = []
    criteria: list[dict[str, Any]] = []
    rubric = node("rubric")
    for n, strand in enumerate(framework.strands, start=1):
        item = node("strand", strand.id)
        item_link = {"title": strand.title, **item}
        cf_item: dict[str, Any] = {
            **item,
            "fullStatement": strand.title,
            "humanCodingScheme": strand.id,
            "listEnumeration": str(n),
            "CFDocumentURI": doc_link,
            "lastChangeDateTime": stamp,
        }
        if extensions and strand.model_extra:
            cf_item["extensions"] = {EXTENSION: {"strand": strand.id, "extra": strand.model_extra}}
        items.append(cf_item)
        associations.append(
            {
                **node("strand", strand.id, "isChildOf"),
                "associationType": "isChildOf",
                "sequenceNumber": n,
                "originNodeURI": item_link,
                "destinationNodeURI": doc_link,
                "CFDocumentURI": doc_link,
                "lastChangeDateTime": stamp,
            }
        )
        criterion = node("strand", strand.id, "criterion")
        levels = []
        for rank, level in enumerate(framework.levels, start=1):
            cf_level: dict[str, Any] = {
                **node("strand", strand.id, "level", level.id),
                "quality": level.label,
                "score": rank,
                "position": rank,
                "rubricCriterionId": criterion["identifier"],
                "lastChangeDateTime": stamp,
            }
            statements = [collapse_spaces(s) for s in framework.statements(strand.id, level.id)]
            if statements:
                cf_level["description"] = "\n".join(statements)
            levels.append(cf_level)
        criteria.append(
            {
                **criterion,
                "category": strand.title,
                "CFItemURI": item_link,
                "position": n,
                "rubricId": rubric["identifier"],
                "lastChangeDateTime": stamp,
                "CFRubricCriterionLevels": levels,
            }
        )
    return {
        "CFDocument": document,
        "CFItems": items,
        "CFAssociations": associations,
        "CFDefinitions": {
            "CFConcepts": [],
            "CFSubjects": [],
            "CFLicenses": [],
            "CFItemTypes": [],
            "CFAssociationGroupings": [],
        },
        "CFRubrics": [
            {
                **rubric,
                "title": f"{framework.title}: level descriptors",
                "description": "One criterion per strand; levels run lowest first (score 1).",
                "lastChangeDateTime": stamp,
                "CFRubricCriteria": criteria,
            }
        ],
    }
