"""`cpdrec subjects export|erase`: a data-protection officer's answer to a subject's request,
without an API key."""

from __future__ import annotations

from typing import Annotated

import typer

from service import subjects
from service.cli.common import OrgOption, emit, settings, store_session, user_errors
from service.schemas import SubjectExport
from service.subjects import SubjectIds

app = typer.Typer(
    help="People and schools who self-assessed: export or erase what is held on one.",
    no_args_is_help=True,
)
SubjectArgument = Annotated[
    str, typer.Argument(help="The LMS's id for the person or school, as the LMS sends it.")
]


def _ids(org: str) -> SubjectIds:
    return SubjectIds.for_org(settings().key_secret(), org)


@app.command("export")
def export(subject: SubjectArgument, org: OrgOption = "local") -> None:
    """Print everything held on the subject as one JSON object (right of access)."""
    with user_errors(), store_session() as session:
        found = subjects.lookup(session, _ids(org), subject)
        exported = SubjectExport.model_validate(subjects.export(session, org, found))
        emit(exported.model_dump(mode="json"))  # exactly as GET /v1/subjects/{id}/export


@app.command("erase")
def erase(subject: SubjectArgument, org: OrgOption = "local") -> None:
    """Delete the subject and everything held on them (right to erasure); prints the counts."""
    with user_errors(), store_session() as session:
        emit(subjects.erase(session, org, subjects.lookup(session, _ids(org), subject), "cli"))
