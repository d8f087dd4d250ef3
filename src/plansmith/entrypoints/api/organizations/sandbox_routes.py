"""Sandboxes from the API: a live organization makes one per test run, its test clock at the
instant the run needs, and gets the sandbox's API key in the answer.

`POST /v1/sandboxes` takes an Idempotency-Key like every POST; its answer holds a secret, so it
is not kept for replays: a retry with the same key gets 409 `idempotency_response_withheld`,
and `GET /v1/sandboxes` lists what was made (without keys). An organization has at most 50
live sandboxes (409 `sandbox_limit_reached`); `DELETE /v1/sandboxes/{sandbox_id}` archives
one (its keys stop working at once), as often as it is sent.
"""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Annotated

from fastapi import Query, Response
from pydantic import BaseModel, BeforeValidator, Field

from plansmith.application.organizations import sandboxes as uc
from plansmith.domain.kernel import error_codes as ec
from plansmith.domain.organizations.organization import Organization
from plansmith.entrypoints.api.deps import Container, CurrentOrg, UoW
from plansmith.entrypoints.api.openapi import problems
from plansmith.entrypoints.api.organizations.api_key_routes import NO_STORE, ApiKeyCreated
from plansmith.entrypoints.api.schemas import ListOut, Strict
from plansmith.entrypoints.routers import app_router

router = app_router(prefix="/v1")
TAGS: list[str | Enum] = ["organization"]


def _text(value: object) -> object:
    """An instant is sent as ISO 8601 text, as the document says: not a number of seconds."""
    if value is not None and not isinstance(value, str):
        raise ValueError("give an instant as ISO 8601 text, e.g. 2026-01-31T00:00:00+00:00")
    return value


class SandboxCreate(Strict):
    name: str | None = Field(
        default=None,
        max_length=uc.MAX_LABEL,
        description="A label; the sandbox's name is the label and its id. Default: Sandbox",
        examples=["CI run 1234"],
    )
    test_clock_start: Annotated[datetime | None, BeforeValidator(_text)] = Field(
        default=None,
        description="Where the sandbox's test clock starts: an instant with its UTC offset, "
        "from 2000-01-01 up to 2100-01-01. Default: now",
        examples=["2026-01-31T00:00:00+00:00"],
    )


class SandboxOut(BaseModel):
    object: str = "sandbox"
    id: str
    name: str
    created_at: datetime
    frozen_at: datetime = Field(description="The instant the sandbox's test clock stands at")
    owner_id: str = Field(description="The live organization that made it")
    archived_at: datetime | None = Field(
        default=None,
        description="When it was deleted (its keys revoked then); null while it is live",
    )

    @classmethod
    def of(cls, sandbox: Organization) -> SandboxOut:
        assert sandbox.test_clock_at is not None and sandbox.owner_id is not None
        return cls(
            id=sandbox.id,
            name=sandbox.name,
            created_at=sandbox.created_at,
            frozen_at=sandbox.test_clock_at,
            owner_id=sandbox.owner_id,
            archived_at=sandbox.archived_at,
        )


class SandboxCreated(SandboxOut):
    api_key: ApiKeyCreated = Field(
        description="A secret key of the sandbox: shown in this answer only, store it now"
    )


@router.get(
    "/sandboxes", operation_id="list_sandboxes", response_model=ListOut[SandboxOut], tags=TAGS
)
def list_sandboxes(
    org: CurrentOrg,
    uow: UoW,
    cursor: Annotated[str | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> ListOut[SandboxOut]:
    """The live sandboxes this organization made, oldest first (their keys are never shown
    again); deleted ones are left out."""
    page = uc.list_sandboxes(uow, org.id, cursor=cursor, limit=limit)
    return ListOut[SandboxOut](
        data=[SandboxOut.of(s) for s in page.items],
        next_cursor=page.next_cursor,
        has_more=page.next_cursor is not None,
    )


@router.post(
    "/sandboxes",
    operation_id="create_sandbox",
    status_code=201,
    responses=problems(ec.CONFLICT, ec.SANDBOX_LIMIT_REACHED),
    response_model=SandboxCreated,
    tags=TAGS,
)
def create_sandbox(
    body: SandboxCreate, org: CurrentOrg, uow: UoW, app: Container, response: Response
) -> SandboxCreated:
    """A sandbox owned by this (live) organization, its test clock at `test_clock_start`, and
    a secret API key for it (in this answer only). 409 `conflict` when sent with a sandbox's
    key: only a live organization makes sandboxes. 409 `sandbox_limit_reached` when it has 50
    live sandboxes: delete one first. 422 naming `test_clock_start` for an instant without an
    offset or outside 2000-2100."""
    made = uc.create_sandbox(uow, app.clock, org.id, label=body.name, start=body.test_clock_start)
    response.headers["Cache-Control"] = NO_STORE
    out = SandboxOut.of(made.organization)
    key = ApiKeyCreated.issued(made.key, app.clock.now())
    return SandboxCreated(**out.model_dump(), api_key=key)


@router.delete(
    "/sandboxes/{sandbox_id}",
    operation_id="delete_sandbox",
    responses=problems(ec.NOT_FOUND),
    response_model=SandboxOut,
    tags=TAGS,
)
def delete_sandbox(sandbox_id: str, org: CurrentOrg, uow: UoW, app: Container) -> SandboxOut:
    """Delete (archive) a sandbox this organization made: its API keys are revoked and its
    sessions ended at once, it leaves `GET /v1/sandboxes` and no longer counts towards the 50
    live sandboxes an organization may have. Its data is kept, out of reach. Idempotent: sent
    again, it answers the same sandbox with the same `archived_at`. 404 for an id that is not
    one of this organization's sandboxes."""
    return SandboxOut.of(uc.delete_sandbox(uow, app.clock, org.id, sandbox_id))
