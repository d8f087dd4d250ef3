"""The organization's API keys: list, create, revoke and roll.

A secret is in the answer that creates it (or rolls it in) and nowhere else afterwards; lists
show its prefix. Expiry and revocation run on the wall clock, also in a sandbox: a key guards
real time. Every request reads the key from the database, so a revoked key gets 401 from every
server process at once.
"""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Annotated, Any, Literal

from fastapi import Query, Response
from pydantic import BaseModel, Field, StrictInt

from plansmith.application.organizations import api_keys as uc
from plansmith.domain.kernel import error_codes as ec
from plansmith.domain.organizations.organization import ApiKey
from plansmith.entrypoints.api.deps import Container, CurrentCaller, CurrentOrg, UoW
from plansmith.entrypoints.api.openapi import problems
from plansmith.entrypoints.api.schemas import ListOut, Strict
from plansmith.entrypoints.routers import app_router

router = app_router(prefix="/v1")
TAGS: list[str | Enum] = ["api_keys"]
ID = "/api_keys/{key_id}"
NO_STORE = "no-store"


class ApiKeyOut(BaseModel):
    object: str = "api_key"
    id: str
    name: str
    kind: str = Field(description="secret (sk_): the whole API; publishable (pk_): prices only")
    prefix: str = Field(description="The secret's first characters, to recognise the key")
    status: str = Field(
        description="active; expiring (rolled, works until expires_at); expired; revoked"
    )
    created_at: datetime
    last_used_at: datetime | None = Field(
        description="The last request made with the key, to the minute; null: never used"
    )
    expires_at: datetime | None = Field(description="Set when the key was rolled")
    revoked_at: datetime | None

    @classmethod
    def of(cls, key: ApiKey, now: datetime) -> ApiKeyOut:
        return cls(**cls._fields(key, now))

    @staticmethod
    def _fields(key: ApiKey, now: datetime) -> dict[str, Any]:
        return {
            "id": key.id,
            "name": key.name,
            "kind": key.kind,
            "prefix": key.prefix,
            "status": key.status(now).value,
            "created_at": key.created_at,
            "last_used_at": key.last_used_at,
            "expires_at": key.expires_at,
            "revoked_at": key.revoked_at,
        }


class ApiKeyCreated(ApiKeyOut):
    secret: str = Field(description="The key itself: shown in this answer only, store it now")

    @classmethod
    def issued(cls, issued: uc.IssuedKey, now: datetime) -> ApiKeyCreated:
        return cls(**cls._fields(issued.key, now), secret=issued.secret)


class ApiKeyCreate(Strict):
    name: str = Field(examples=["billing backend"], description="To tell keys apart in lists")
    kind: Literal["secret", "publishable"] = "secret"


class ApiKeyRoll(Strict):
    expires_in: StrictInt = Field(
        ge=0,
        le=uc.MAX_OVERLAP_SECONDS,
        description="Seconds the old key keeps working: 0 stops it at once, at most 604800 "
        "(7 days)",
        examples=[86400],
    )


class ApiKeyRolled(BaseModel):
    object: str = "api_key_roll"
    old_key: ApiKeyOut = Field(description="The key rolled; refused from its expires_at on")
    new_key: ApiKeyCreated


@router.get("/api_keys", operation_id="list_api_keys", response_model=ListOut[ApiKeyOut], tags=TAGS)
def list_api_keys(
    org: CurrentOrg,
    uow: UoW,
    app: Container,
    cursor: Annotated[str | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> ListOut[ApiKeyOut]:
    """The organization's keys, oldest first, revoked and expired ones included. Secrets are
    never shown again: each key shows its prefix."""
    page = uc.list_api_keys(uow, org.id, cursor=cursor, limit=limit)
    now = app.clock.now()
    return ListOut[ApiKeyOut](
        data=[ApiKeyOut.of(key, now) for key in page.items],
        next_cursor=page.next_cursor,
        has_more=page.next_cursor is not None,
    )


@router.post(
    "/api_keys",
    operation_id="create_api_key",
    status_code=201,
    response_model=ApiKeyCreated,
    tags=TAGS,
)
def create_api_key(
    body: ApiKeyCreate, org: CurrentOrg, uow: UoW, app: Container, response: Response
) -> ApiKeyCreated:
    """A new key; its secret is in this answer only."""
    issued = uc.create_api_key(uow, app.clock, org.id, body.name, kind=body.kind)
    response.headers["Cache-Control"] = NO_STORE
    return ApiKeyCreated.issued(issued, app.clock.now())


@router.get(ID, operation_id="get_api_key", response_model=ApiKeyOut, tags=TAGS)
def get_api_key(key_id: str, org: CurrentOrg, uow: UoW, app: Container) -> ApiKeyOut:
    return ApiKeyOut.of(uc.get_api_key(uow, org.id, key_id), app.clock.now())


@router.post(
    f"{ID}/revoke",
    operation_id="revoke_api_key",
    responses=problems(ec.API_KEY_REVOKED, ec.API_KEY_IN_USE),
    response_model=ApiKeyOut,
    tags=TAGS,
)
def revoke_api_key(key_id: str, caller: CurrentCaller, uow: UoW, app: Container) -> ApiKeyOut:
    """Stop a key at once: every request with it gets 401 from now on. 409 `api_key_revoked`
    if it no longer works already; 409 `api_key_in_use` for the key this request is sent
    with (roll that one, or revoke it with another key)."""
    org_id = caller.organization.id
    key = uc.revoke_api_key(uow, app.clock, org_id, key_id, caller_key_id=caller.key.id)
    return ApiKeyOut.of(key, app.clock.now())


@router.post(
    f"{ID}/roll",
    operation_id="roll_api_key",
    responses=problems(ec.API_KEY_REVOKED, ec.API_KEY_ROLLED),
    status_code=201,
    response_model=ApiKeyRolled,
    tags=TAGS,
)
def roll_api_key(
    key_id: str, body: ApiKeyRoll, org: CurrentOrg, uow: UoW, app: Container, response: Response
) -> ApiKeyRolled:
    """A new key with the same name and kind (its secret in this answer only); the old key
    keeps working for `expires_in` seconds, then gets 401. The key this request is sent with
    may be rolled. 409 `api_key_rolled` if it was rolled already, `api_key_revoked` if it no
    longer works."""
    rolled = uc.roll_api_key(uow, app.clock, org.id, key_id, overlap_seconds=body.expires_in)
    response.headers["Cache-Control"] = NO_STORE
    now = app.clock.now()
    return ApiKeyRolled(
        old_key=ApiKeyOut.of(rolled.old, now), new_key=ApiKeyCreated.issued(rolled.new, now)
    )
